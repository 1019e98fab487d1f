<#
.SYNOPSIS
    Times Enable-QemuNat and Disable-QemuNat against the same set-up done by a plain shell script
    (bench/nat-baseline.sh), in one warm pwsh, a fresh network namespace for every run. Needs root.
.EXAMPLE
    dotnet pwsh ./bench/NatBench.ps1 -Runs 15
#>
param([int]$Runs = 10, [string]$ModulePath)

$ErrorActionPreference = 'Stop'
if ((& id -u) -ne '0') { throw 'The NAT benchmark needs root (network namespaces).' }
$root = Split-Path $PSScriptRoot -Parent
if (-not $ModulePath) { $ModulePath = Get-ChildItem (Join-Path $root 'output/QemuNet/*/QemuNet.psd1') | Select-Object -Last 1 -ExpandProperty FullName }
Import-Module $ModulePath -Force
$baseline = Join-Path $PSScriptRoot 'nat-baseline.sh'
$state = Join-Path ([IO.Path]::GetTempPath()) "qemunet-bench-$PID"
$env:QEMUNET_STATE_DIR = $state
$env:QEMUNET_DNSMASQ_DIR = "$state-dnsmasq"

function Measure-Once([scriptblock]$Up, [scriptblock]$Down) {
    $ns = "qnb-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    & ip netns add $ns
    & ip -n $ns link set lo up
    try {
        $sw = [Diagnostics.Stopwatch]::StartNew(); & $Up $ns; $upMs = $sw.Elapsed.TotalMilliseconds
        $sw.Restart(); & $Down $ns; $downMs = $sw.Elapsed.TotalMilliseconds
        [pscustomobject]@{ Up = $upMs; Down = $downMs }
    }
    finally {
        foreach ($p in @(& ip netns pids $ns 2>$null)) { if ($p) { & kill -9 $p 2>$null } }
        & ip netns del $ns
    }
}

$module = {
    param($ns)
    $null = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $ns -Confirm:$false
}, {
    param($ns)
    Disable-QemuNat -Name lab -NetworkNamespace $ns -Confirm:$false
}
$script = {
    param($ns)
    & bash $baseline up $ns (Join-Path $state 'baseline'); if ($LASTEXITCODE) { throw 'baseline up failed' }
}, {
    param($ns)
    & bash $baseline down $ns (Join-Path $state 'baseline'); if ($LASTEXITCODE) { throw 'baseline down failed' }
}

function Get-Median([double[]]$Values) {
    $sorted = $Values | Sort-Object
    $n = $sorted.Count
    if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

try {
    # Warm-up: JIT, module load, page cache; not counted.
    $null = Measure-Once @module
    $null = Measure-Once @script
    $m = @(); $b = @()
    for ($i = 0; $i -lt $Runs; $i++) {
        # Interleaved, so drift on the machine hits both sides alike.
        $m += Measure-Once @module
        $b += Measure-Once @script
    }
    $result = [pscustomobject]@{
        Runs              = $Runs
        EnableModuleMs    = [math]::Round((Get-Median $m.Up), 1)
        EnableScriptMs    = [math]::Round((Get-Median $b.Up), 1)
        EnableRatio       = [math]::Round((Get-Median $m.Up) / (Get-Median $b.Up), 2)
        DisableModuleMs   = [math]::Round((Get-Median $m.Down), 1)
        DisableScriptMs   = [math]::Round((Get-Median $b.Down), 1)
        DisableRatio      = [math]::Round((Get-Median $m.Down) / (Get-Median $b.Down), 2)
    }
    $result
}
finally {
    Remove-Item $state, "$state-dnsmasq" -Recurse -Force -ErrorAction Ignore
    Remove-Item Env:QEMUNET_STATE_DIR, Env:QEMUNET_DNSMASQ_DIR
}
