#Requires -Version 7.4
<#
.SYNOPSIS
    QemuNet's speed figures, each a ratio against a baseline measured in the same run: prints a summary table and
    writes it into bench/RESULTS.md between <!-- bench:begin --> and <!-- bench:end -->. Needs root.
.DESCRIPTION
    The machine is shared and noisy, so every bench interleaves the module with its baseline and reports medians:
    - NAT: Enable/Disable-QemuNat in a warm pwsh inside a network namespace (no -NetworkNamespace), the same from
      outside with -NetworkNamespace, and bench/nat-baseline.sh (the seed's procedure) in that namespace; with the
      programs each starts. Between runs the namespace must be back to its initial state.
    - Start-up: `pwsh -NoProfile -c exit` with and without Import-Module.
    - Pipeline: 1,000 NIC specs (New-QemuUserNet | New-QemuNic) against the same shape of [pscustomobject]s.
    - Lease: Start-QemuVm (TCG, user-mode networking) until the test guest prints its DHCP lease, against the
      argument list the module rendered, started by hand.
    - In process (bench/QemuNet.Bench, BenchmarkDotNet, a PowerShell runspace): per-cmdlet costs and a 32-NIC
      launch spec composed and rendered.
    build.ps1 -Task Bench builds the module and the test guest and runs this.
.EXAMPLE
    dotnet pwsh ./bench/Invoke-Bench.ps1 -ModulePath output/QemuNet/0.1.0/QemuNet.psd1 -GuestPath output/guest
#>
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$GuestPath,
    # Measured runs per side of each whole-process bench (after one warm-up run); start-up takes at least 11, guest boots at least 5.
    [ValidateRange(3, 100)][int]$Runs = 5,
    [string]$ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md'),
    [string]$Command = 'dotnet pwsh -NoProfile -c "./build.ps1 -Task Bench"',
    # Run only these benches (NAT, Start-up, Pipeline, Lease, In process); all when empty.
    [string[]]$Only
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if ((& id -u) -ne '0') { throw 'The Bench task needs root (network namespaces, dnsmasq, nftables).' }
$root = Split-Path $PSScriptRoot -Parent
$ModulePath = (Resolve-Path $ModulePath).Path
$GuestPath = (Resolve-Path $GuestPath).Path
$output = Join-Path $root 'output/bench'
$null = New-Item -ItemType Directory -Path $output -Force
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
. (Join-Path $PSScriptRoot 'Results.ps1')
Import-Module $ModulePath -Force

# This pwsh, as a program to start again: under "dotnet pwsh" the process is dotnet and pwsh.dll its first argument.
$pwshPath = [Environment]::ProcessPath
$pwshPrefix = @(if ([IO.Path]::GetFileName($pwshPath) -eq 'dotnet') { [Environment]::GetCommandLineArgs()[0] })

$rows = [Collections.Generic.List[object]]::new()
$failures = [Collections.Generic.List[string]]::new()

function Add-Row {
    <# One line of the table: the module's median, the baseline's, their ratio, the runs behind each median. #>
    param([string]$Name, [double]$Value, [double]$Baseline = [double]::NaN, [string]$Unit, [int]$Runs,
        [string]$BaselineName)
    $rows.Add([pscustomobject]@{
        Name = $Name; Value = $Value; Baseline = $Baseline; Unit = $Unit; Runs = $Runs; BaselineName = $BaselineName
        Ratio = if ([double]::IsNaN($Baseline) -or $Baseline -eq 0) { [double]::NaN } else { $Value / $Baseline }
    })
}

function Invoke-Interleaved {
    <#
    Runs each side once unmeasured (warm-up), then $Runs rounds of all sides, the order turning each round so
    drift on the machine hits every side alike; returns each side's results (whatever its block returns).
    #>
    param([Parameter(Mandatory)][System.Collections.Specialized.OrderedDictionary]$Sides, [int]$Rounds = $Runs, [scriptblock]$AfterEach)
    # The sides' blocks see the caller's variables (dynamic scope): these names are kept apart from theirs.
    $sideNames = @($Sides.Keys)
    $sideResults = [ordered]@{}
    foreach ($sideName in $sideNames) { $sideResults[$sideName] = [Collections.Generic.List[object]]::new() }
    for ($round = 0; $round -le $Rounds; $round++) {
        for ($turn = 0; $turn -lt $sideNames.Count; $turn++) {
            $sideName = $sideNames[($round + $turn) % $sideNames.Count]
            $sideResult = & $Sides[$sideName]
            if ($AfterEach) { & $AfterEach $sideName $round }
            if ($round -gt 0) { $sideResults[$sideName].Add($sideResult) }
        }
    }
    return $sideResults
}

function Measure-Milliseconds([scriptblock]$Script) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $null = & $Script
    return $watch.Elapsed.TotalMilliseconds
}

function Invoke-Pwsh([string[]]$ArgumentList) {
    & $pwshPath @pwshPrefix @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "pwsh $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE." }
}

function New-PrivateDirectory([string]$Prefix) {
    <#
    The module's state directory must be its owner's alone (0700), or every command stops with StateDirectoryUnsafe.
    On tmpfs, as /run is on a host (its journal and records are fsynced: on a disk that is the cost of the disk).
    #>
    $base = if (Test-Path /dev/shm) { '/dev/shm' } else { [IO.Path]::GetTempPath() }
    $path = Join-Path $base "$Prefix-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    $null = New-Item -ItemType Directory -Path $path
    & chmod 0700 $path
    return $path
}

function New-BenchNamespace {
    $name = "qnb-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    & ip netns add $name
    if ($LASTEXITCODE -ne 0) { throw "ip netns add $name failed." }
    & ip -n $name link set lo up
    return $name
}

function Remove-BenchNamespace([string]$Name) {
    foreach ($p in @(& ip netns pids $Name 2>$null)) { if ($p) { & kill -9 $p 2>$null } }
    & ip netns del $Name 2>$null
}

function Invoke-NatBench {
    $ns = New-BenchNamespace
    $state = New-PrivateDirectory 'qemunet-bench'
    $scriptState = Join-Path $state 'script'
    $env:QEMUNET_STATE_DIR = $state
    $env:QEMUNET_DNSMASQ_DIR = "$state-dnsmasq"
    $inner = $null
    try {
        # The warm pwsh inside the namespace; it inherits the state directories, so both sides share the books.
        $start = [Diagnostics.ProcessStartInfo]::new('ip')
        foreach ($a in @('netns', 'exec', $ns, $pwshPath) + $pwshPrefix + @('-NoProfile', '-NonInteractive', '-File',
                (Join-Path $PSScriptRoot 'NatInNamespace.ps1'), '-ModulePath', $ModulePath, '-ScriptStateDirectory', $scriptState)) {
            $start.ArgumentList.Add($a)
        }
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $inner = [Diagnostics.Process]::Start($start)
        $innerErrors = $inner.StandardError.ReadToEndAsync()
        $ask = {
            param([string]$Request)
            $inner.StandardInput.WriteLine($Request)
            while ($null -ne ($line = $inner.StandardOutput.ReadLine())) {
                if ($line.StartsWith('RESULT ')) { return $line.Substring(7) | ConvertFrom-Json }
            }
            $inner.WaitForExit()
            throw "The pwsh inside namespace $ns ended (exit code $($inner.ExitCode)): $($innerErrors.Result)"
        }
        # A harmless first request: the inner pwsh is up (its pid belongs to the namespace's initial state).
        $null = & $ask 'script'
        $initial = Get-NamespaceState $ns
        $sides = [ordered]@{
            Inside  = { & $ask 'module' }
            Outside = {
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $upLog = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $ns -Confirm:$false -Verbose 4>&1
                $up = $watch.Elapsed.TotalMilliseconds
                $watch.Restart()
                $againLog = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $ns -Confirm:$false -Verbose 4>&1
                $again = $watch.Elapsed.TotalMilliseconds
                $watch.Restart()
                $downLog = Disable-QemuNat -Name lab -NetworkNamespace $ns -Confirm:$false -Verbose 4>&1
                [pscustomobject]@{
                    UpMs = $up; AgainMs = $again; DownMs = $watch.Elapsed.TotalMilliseconds
                    UpPrograms = Get-ModuleProgramCount $upLog; AgainPrograms = Get-ModuleProgramCount $againLog; DownPrograms = Get-ModuleProgramCount $downLog
                }
            }
            Script  = { & $ask 'script' }
        }
        $check = {
            param($side, $round)
            $now = Get-NamespaceState $ns
            if ($now -ne $initial) {
                throw "After the $side run $round, namespace $ns is not back to its initial state:`n$(Compare-Object ($initial -split "`n") ($now -split "`n") | Out-String)"
            }
            $left = @(Get-ChildItem $state, "$state-dnsmasq" -Recurse -File -ErrorAction Ignore | Where-Object Name -NE '.lock')
            if ($left) { throw "After the $side run $round, files are left: $($left.FullName -join ', ')" }
        }
        $r = Invoke-Interleaved $sides -AfterEach $check
        $plain = $r.Script
        foreach ($side in @{ Key = 'Inside'; Label = 'in the ns' }, @{ Key = 'Outside'; Label = '-NetworkNamespace' }) {
            $m = $r[$side.Key]
            Add-Row "Enable-QemuNat, $($side.Label)" (Get-Median $m.UpMs) (Get-Median $plain.UpMs) ms $Runs 'nat-baseline.sh up'
            Add-Row "Disable-QemuNat, $($side.Label)" (Get-Median $m.DownMs) (Get-Median $plain.DownMs) ms $Runs 'nat-baseline.sh down'
            Add-Row "no-op Enable, $($side.Label)" (Get-Median $m.AgainMs) -Unit ms -Runs $Runs
        }
        Add-Row 'Enable, -NetworkNamespace / in the ns' (Get-Median $r.Outside.UpMs) (Get-Median $r.Inside.UpMs) ms $Runs 'the same, in the ns'
        Add-Row 'Disable, -NetworkNamespace / in the ns' (Get-Median $r.Outside.DownMs) (Get-Median $r.Inside.DownMs) ms $Runs 'the same, in the ns'
        foreach ($side in @{ Key = 'Inside'; Label = 'in the ns' }, @{ Key = 'Outside'; Label = '-NetworkNamespace' }) {
            $m = $r[$side.Key]
            Add-Row "programs, Enable, $($side.Label)" (Get-Median $m.UpPrograms) (Get-Median $plain.UpPrograms) '' $Runs 'nat-baseline.sh up'
            Add-Row "programs, Disable, $($side.Label)" (Get-Median $m.DownPrograms) (Get-Median $plain.DownPrograms) '' $Runs 'nat-baseline.sh down'
            Add-Row "programs, no-op, $($side.Label)" (Get-Median $m.AgainPrograms) -Runs $Runs
        }
    }
    finally {
        if ($inner) {
            $inner.StandardInput.Close()
            if (-not $inner.WaitForExit(10000)) { $inner.Kill() }
        }
        Remove-BenchNamespace $ns
        Remove-Item $state, "$state-dnsmasq" -Recurse -Force -ErrorAction Ignore
        Remove-Item Env:QEMUNET_STATE_DIR, Env:QEMUNET_DNSMASQ_DIR -ErrorAction Ignore
    }
}

function Invoke-StartupBench {
    # The floor: PowerShell's own cost of importing a module by its manifest, measured with a manifest that names
    # nothing (no assembly, no formats, no commands).
    $emptyDir = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-bench-empty-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $emptyDir
    $emptyManifest = Join-Path $emptyDir 'EmptyModule.psd1'
    Set-Content -LiteralPath $emptyManifest -Value "@{ ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())' }"
    try {
        $import = "Import-Module '$($ModulePath -replace "'", "''")'; exit"
        $importEmpty = "Import-Module '$($emptyManifest -replace "'", "''")'; exit"
        $startupRuns = [Math]::Max($Runs, 11)
        $r = Invoke-Interleaved -Rounds $startupRuns ([ordered]@{
            Bare   = { Measure-Milliseconds { Invoke-Pwsh @('-NoProfile', '-c', 'exit') } }
            Import = { Measure-Milliseconds { Invoke-Pwsh @('-NoProfile', '-c', $import) } }
            Empty  = { Measure-Milliseconds { Invoke-Pwsh @('-NoProfile', '-c', $importEmpty) } }
        })
    }
    finally { Remove-Item -LiteralPath $emptyDir -Recurse -Force }
    $added = for ($i = 0; $i -lt $startupRuns; $i++) { $r.Import[$i] - $r.Bare[$i] }
    $addedEmpty = for ($i = 0; $i -lt $startupRuns; $i++) { $r.Empty[$i] - $r.Bare[$i] }
    Add-Row 'pwsh -c Import-Module QemuNet' (Get-Median $r.Import) (Get-Median $r.Bare) ms $startupRuns 'pwsh -NoProfile -c exit'
    Add-Row 'Import-Module QemuNet (added)' (Get-Median $added) -Unit ms -Runs $startupRuns
    Add-Row 'pwsh -c Import-Module, empty module' (Get-Median $r.Empty) (Get-Median $r.Bare) ms $startupRuns 'pwsh -NoProfile -c exit'
    Add-Row 'Import-Module, empty module (added)' (Get-Median $addedEmpty) -Unit ms -Runs $startupRuns
    Add-Row 'pwsh -c Import-Module QemuNet / empty' (Get-Median $r.Import) (Get-Median $r.Empty) ms $startupRuns 'the same, an empty module'
}

function Invoke-PipelineBench {
    $count = 1000
    $module = { 1..$count | ForEach-Object { New-QemuUserNet -HostForward "tcp::$(20000 + $_)-:22" } | New-QemuNic -Model virtio }
    $plain = { 1..$count | ForEach-Object { [pscustomobject]@{ HostForward = "tcp::$(20000 + $_)-:22" } } | ForEach-Object { [pscustomobject]@{ Model = 'virtio'; Backend = $_ } } }
    $made = @(& $module)
    if ($made.Count -ne $count -or $made[-1] -isnot [QemuNet.Core.Model.QemuNic]) { throw "The pipeline made $($made.Count) NICs, not $count." }
    $r = Invoke-Interleaved ([ordered]@{
        Module = { Measure-Milliseconds $module }
        Plain  = { Measure-Milliseconds $plain }
    })
    # Milliseconds per 1,000 specs are microseconds per spec.
    Add-Row '1,000 NIC specs, per spec' (Get-Median $r.Module) (Get-Median $r.Plain) 'us' $Runs '[pscustomobject] pipeline'
}

function Wait-ConsoleLine([string]$Path, [string]$Pattern, [int]$TimeoutSec = 300) {
    <# Polls a guest's console log until a line matches; both sides of the lease bench wait this same way. #>
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ([datetime]::UtcNow -lt $deadline) {
        if ([IO.File]::Exists($Path) -and [IO.File]::ReadAllText($Path) -match $Pattern) { return }
        Start-Sleep -Milliseconds 20
    }
    throw "No line matching '$Pattern' in $Path within $TimeoutSec s."
}

function Invoke-LeaseBench {
    $ns = New-BenchNamespace
    $state = New-PrivateDirectory 'qemunet-bench'
    $env:QEMUNET_STATE_DIR = $state
    $vmName = 'lease-bench'
    $kernel = Join-Path $GuestPath 'vmlinuz'
    $initrd = Join-Path $GuestPath 'initrd.img'
    $lease = '(?m)^QEMUNET-LEASE '
    # The module's last start: its QEMU path and argument list are what the by-hand side runs.
    $last = @{ Vm = $null }
    try {
        $sides = [ordered]@{
            Module = {
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $vm = New-QemuUserNet | New-QemuNic -Model virtio |
                    Start-QemuVm -Name $vmName -Kernel $kernel -Initrd $initrd -Append 'console=ttyS0 quiet panic=-1 qn_hold=120' `
                        -Accelerator Tcg -Memory 256 -NetworkNamespace $ns
                $returned = $watch.Elapsed.TotalMilliseconds
                Wait-ConsoleLine $vm.ConsoleLog $lease
                $leased = $watch.Elapsed.TotalMilliseconds
                $last.Vm = $vm
                Stop-QemuVm -Name $vmName -TurnOff -Confirm:$false
                Remove-QemuVm -Name $vmName -Confirm:$false
                [pscustomobject]@{ ReturnedMs = $returned; LeaseMs = $leased }
            }
            Hand   = {
                $rendered = $last.Vm
                if (-not $rendered) { throw 'The by-hand start needs the command line of a module start first.' }
                $start = [Diagnostics.ProcessStartInfo]::new('ip')
                foreach ($a in @('netns', 'exec', $ns, $rendered.QemuPath) + $rendered.Arguments) { $start.ArgumentList.Add($a) }
                $watch = [Diagnostics.Stopwatch]::StartNew()
                # The same -daemonize command line: the first QEMU process exits once the guest runs.
                $qemu = [Diagnostics.Process]::Start($start)
                $qemu.WaitForExit()
                $returned = $watch.Elapsed.TotalMilliseconds
                if ($qemu.ExitCode -ne 0) { throw "QEMU started by hand failed with exit code $($qemu.ExitCode)." }
                Wait-ConsoleLine $rendered.ConsoleLog $lease
                $leased = $watch.Elapsed.TotalMilliseconds
                $guestPid = [int](Get-Content -Raw $rendered.Paths.PidFile)
                & kill -9 $guestPid
                while (Test-Path "/proc/$guestPid") { Start-Sleep -Milliseconds 20 }
                Remove-Item $rendered.Paths.PidFile, $rendered.ConsoleLog, $rendered.QmpSocket -ErrorAction Ignore
                [pscustomobject]@{ ReturnedMs = $returned; LeaseMs = $leased }
            }
        }
        $leaseRuns = [math]::Max(5, $Runs)
        $r = Invoke-Interleaved $sides -Rounds $leaseRuns
        $added = for ($i = 0; $i -lt $leaseRuns; $i++) { $r.Module[$i].LeaseMs - $r.Hand[$i].LeaseMs }
        # Until the daemonized QEMU runs (the call returns): the module's own latency, without the guest's boot time.
        Add-Row 'Start-QemuVm until QEMU runs' (Get-Median $r.Module.ReturnedMs) (Get-Median $r.Hand.ReturnedMs) ms $leaseRuns 'same argv by hand'
        Add-Row 'Start-QemuVm to DHCP lease (TCG)' (Get-Median $r.Module.LeaseMs) (Get-Median $r.Hand.LeaseMs) ms $leaseRuns 'same argv by hand'
        Add-Row 'Start-QemuVm to lease (added)' (Get-Median $added) -Unit ms -Runs $leaseRuns
    }
    finally {
        Get-QemuVm -ErrorAction Ignore | Remove-QemuVm -Force -Confirm:$false -ErrorAction Continue
        Remove-BenchNamespace $ns
        Remove-Item $state -Recurse -Force -ErrorAction Ignore
        Remove-Item Env:QEMUNET_STATE_DIR -ErrorAction Ignore
    }
}

function Invoke-InProcessBench {
    <# bench/QemuNet.Bench: BenchmarkDotNet in this process's runtime, a runspace with the module; only this task builds it. #>
    $project = Join-Path $PSScriptRoot 'QemuNet.Bench/QemuNet.Bench.csproj'
    & dotnet build $project -c Release -nologo -v q -clp:ErrorsOnly | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "dotnet build $project failed with exit code $LASTEXITCODE." }
    $state = New-PrivateDirectory 'qemunet-bench'
    $tsv = Join-Path $output 'inprocess.tsv'
    $log = Join-Path $output 'benchmarkdotnet.log'
    Remove-Item $tsv -ErrorAction Ignore
    $env:QEMUNET_STATE_DIR = $state
    $env:QEMUNET_BENCH_KERNEL = Join-Path $GuestPath 'vmlinuz'
    try {
        & dotnet (Join-Path $PSScriptRoot 'QemuNet.Bench/bin/Release/net10.0/QemuNet.Bench.dll') $tsv (Join-Path $output 'BenchmarkDotNet') *> $log
        if ($LASTEXITCODE -ne 0) { throw "QemuNet.Bench failed with exit code $LASTEXITCODE; see $log." }
    }
    finally {
        Remove-Item $state -Recurse -Force -ErrorAction Ignore
        Remove-Item Env:QEMUNET_STATE_DIR, Env:QEMUNET_BENCH_KERNEL -ErrorAction Ignore
    }
    foreach ($line in Get-Content $tsv) {
        $name, $ns, $null, $iterations, $baselineName, $baselineNs = $line -split "`t"
        Add-Row $name ([double]$ns / 1000) ([double]$baselineNs / 1000) 'us' ([int]$iterations) $baselineName
    }
}

function Format-Figure([double]$Value, [string]$Unit) {
    if ([double]::IsNaN($Value)) { return '' }
    $text = if ($Unit -eq '') { '{0:0.#}' -f $Value } elseif ([math]::Abs($Value) -ge 100) { '{0:0}' -f $Value } else { '{0:0.0}' -f $Value }
    return ("$text $Unit").Trim()
}

function Format-Summary {
    <# The summary, 80 columns at most: measure, QemuNet's median, the baseline's, the ratio and the runs. #>
    param([switch]$Markdown)
    $header = 'Measure', 'QemuNet', 'Baseline', 'Ratio', 'Runs'
    $cells = @(foreach ($row in $rows) {
        , @($row.Name, (Format-Figure $row.Value $row.Unit), (Format-Figure $row.Baseline $row.Unit),
            $(if ([double]::IsNaN($row.Ratio)) { '' } else { '{0:0.00}x' -f $row.Ratio }), "$($row.Runs)")
    })
    if ($Markdown) {
        # The file has room to name each row's baseline too.
        '| ' + (($header + 'Baseline is') -join ' | ') + ' |'
        '|---|--:|--:|--:|--:|---|'
        for ($i = 0; $i -lt $rows.Count; $i++) { '| ' + ((@($cells[$i]) + $rows[$i].BaselineName | ForEach-Object { "$_" -replace '\|', '\|' }) -join ' | ') + ' |' }
        return
    }
    $widths = 38, 10, 10, 7, 5
    $line = { param($c) ($c[0].PadRight($widths[0]) + (1..4 | ForEach-Object { ' ' + $c[$_].PadLeft($widths[$_]) }) -join '') }
    & $line $header
    ($widths | ForEach-Object { '-' * $_ }) -join ' '
    foreach ($c in $cells) { & $line $c }
}

$benches = [ordered]@{
    'NAT'        = { Invoke-NatBench }
    'Start-up'   = { Invoke-StartupBench }
    'Pipeline'   = { Invoke-PipelineBench }
    'Lease'      = { Invoke-LeaseBench }
    'In process' = { Invoke-InProcessBench }
}
$watch = [Diagnostics.Stopwatch]::StartNew()
foreach ($bench in @($benches.Keys | Where-Object { -not $Only -or $_ -in $Only })) {
    Write-Host "Bench: $bench" -ForegroundColor Cyan
    $benchWatch = [Diagnostics.Stopwatch]::StartNew()
    try { & $benches[$bench] }
    catch {
        $failures.Add("${bench}: $_")
        Write-Warning "The $bench bench failed: $_"
    }
    Write-Host ('  {0:0} s' -f $benchWatch.Elapsed.TotalSeconds)
}

Write-Host ''
Format-Summary | Write-Host
Write-Host ''
Write-Host ('Bench task: {0:mm\:ss} (min:s); ratio = QemuNet / baseline, medians of interleaved runs.' -f $watch.Elapsed)

$report = @(
    '## Bench'
    ''
    Get-ResultsHeader -Root $root -Command $Command
    ('- The benches took {0:mm\:ss} (min:s), after the build and the test guest. Every figure is a median of interleaved runs (Runs), the order turning each round after one warm-up round; ratio = QemuNet / baseline, both measured in the same run on a shared, noisy machine.' -f $watch.Elapsed)
    ''
    Format-Summary -Markdown
    ''
    'Baselines and how each figure was taken:'
    ''
    '- NAT: the module in one warm pwsh started under `ip netns exec` (as that host''s admin would run it) and from outside with `-NetworkNamespace`, against `bench/nat-baseline.sh` (ip link/addr/up, sysctl, one `nft -f`, dnsmasq) in the same namespace; all three take turns in one namespace, which must be back to its initial state (links, addresses, ruleset, ip_forward, processes, no state files) after each run. The Enable measured is `Enable-QemuNat -Name lab -Subnet 192.0.2.0/24`: the default NAT network (no uplink, DHCP and DNS on), with the state directory on tmpfs (/dev/shm), as /run is on a host.'
    '- Programs: for the module, the command lines its process runner writes to -Verbose (one process each); for the script, bash itself plus every command in its xtrace that is a program, not a builtin.'
    '- Start-up: wall time of `pwsh -NoProfile -c "Import-Module QemuNet; exit"` against `pwsh -NoProfile -c exit`, and the same for a module whose manifest names nothing (ModuleVersion and GUID only): the floor PowerShell''s own Import-Module puts under any module; "added" is the median of the paired differences.'
    '- Pipeline: `1..1000 | % { New-QemuUserNet -HostForward … } | New-QemuNic -Model virtio` in a warm pwsh against the same shape of `[pscustomobject]`s; time per spec.'
    '- Lease: `New-QemuUserNet | New-QemuNic | Start-QemuVm` (TCG, 256 MiB, the test guest) until the console shows `QEMUNET-LEASE`, against the argument list the module rendered, started by hand (`ip netns exec` + QEMU) and its console read the same way; "until QEMU runs" is until Start-QemuVm returns, or QEMU''s `-daemonize` parent exits.'
    '- In process: BenchmarkDotNet (ShortRun-sized, in-process) in a PowerShell runspace with the module imported; the single-object cases run 100 times per invoke; each is measured against the plain pipeline of the same shape in the same runspace (`[pscustomobject]@{}`, or 32 pairs of them); Runs are BenchmarkDotNet''s measured iterations. "Resolve + Render (C#)" is the launch planner and argv renderer without PowerShell.'
    $(if ($failures) { ''; 'Failed: ' + ($failures -join '; ') })
)
Set-ResultsSection -Path $ResultsPath -Name bench -Lines $report
Write-Host "Figures written to $ResultsPath"
if ($failures) { throw "$($failures.Count) bench(es) failed: $($failures -join '; ')" }
