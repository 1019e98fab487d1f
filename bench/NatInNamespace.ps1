<#
.SYNOPSIS
    The warm pwsh of the NAT bench: started once under `ip netns exec`, it serves Invoke-Bench.ps1 one run at a time,
    so the module runs as that host's own admin would run it (no -NetworkNamespace), beside the plain script.
.DESCRIPTION
    Reads one word a line on standard input: 'module' (Enable-QemuNat, the same again: nothing to change, then
    Disable-QemuNat) or 'script'
    (bench/nat-baseline.sh up then down, under bash xtrace), and answers each with one line
    "RESULT <json>": milliseconds up and down, and the programs each side started. An empty line or end of input ends it.
#>
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$ScriptStateDirectory
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$baseline = Join-Path $PSScriptRoot 'nat-baseline.sh'

function Invoke-Module {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $upLog = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -Confirm:$false -Verbose 4>&1
    $up = $watch.Elapsed.TotalMilliseconds
    $watch.Restart()
    $againLog = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -Confirm:$false -Verbose 4>&1
    $again = $watch.Elapsed.TotalMilliseconds
    $watch.Restart()
    $downLog = Disable-QemuNat -Name lab -Confirm:$false -Verbose 4>&1
    $down = $watch.Elapsed.TotalMilliseconds
    [pscustomobject]@{
        UpMs = $up; AgainMs = $again; DownMs = $down
        UpPrograms = Get-ModuleProgramCount $upLog; AgainPrograms = Get-ModuleProgramCount $againLog; DownPrograms = Get-ModuleProgramCount $downLog
    }
}

function Invoke-Script {
    $trace = [IO.Path]::GetTempFileName()
    try {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Invoke-TracedScript $baseline @('up', $ScriptStateDirectory) $trace
        $up = $watch.Elapsed.TotalMilliseconds
        $upPrograms = Get-ScriptProgramCount $trace
        $watch.Restart()
        Invoke-TracedScript $baseline @('down', $ScriptStateDirectory) $trace
        $down = $watch.Elapsed.TotalMilliseconds
        [pscustomobject]@{ UpMs = $up; DownMs = $down; UpPrograms = $upPrograms; DownPrograms = Get-ScriptProgramCount $trace }
    }
    finally {
        Remove-Item $trace -ErrorAction Ignore
    }
}

while ($request = [Console]::In.ReadLine()) {
    $result = switch ($request) {
        'module' { Invoke-Module }
        'script' { Invoke-Script }
        default { throw "Unknown request '$request'." }
    }
    [Console]::Out.WriteLine('RESULT ' + ($result | ConvertTo-Json -Compress))
    [Console]::Out.Flush()
}
