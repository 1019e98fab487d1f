# Shared by the Pester suites: imports the built module and offers helpers for guests and network namespaces.
$ErrorActionPreference = 'Stop'

$script:RepoRoot = Split-Path $PSScriptRoot -Parent
$script:ModuleManifest = if ($env:QEMUNET_TEST_MODULE) { $env:QEMUNET_TEST_MODULE } else {
    Get-ChildItem (Join-Path $RepoRoot 'output/QemuNet/*/QemuNet.psd1') | Select-Object -Last 1 -ExpandProperty FullName
}
if (-not $ModuleManifest -or -not (Test-Path $ModuleManifest)) {
    throw 'The built module was not found; run ./build.ps1 -Task Build first.'
}
Import-Module $ModuleManifest -Force

$script:IsRoot = (& id -u) -eq '0'
$script:GuestDir = if ($env:QEMUNET_TEST_GUEST) { $env:QEMUNET_TEST_GUEST } else { Join-Path $RepoRoot 'output/guest' }
# QEMU's capabilities are cached on disk per binary; the tests keep that cache out of the user's home.
if (-not $env:QEMUNET_CACHE_DIR) { $env:QEMUNET_CACHE_DIR = Join-Path ([IO.Path]::GetTempPath()) "qemunet-test-cache-$(& id -u)" }
# Parameters the test guest understands: see tests/guest/init.
$script:GuestAppend = 'console=ttyS0 quiet panic=-1'

function Get-TestSkipReason {
    <# Why a suite cannot run here, or $null when it can. #>
    param([ValidateSet('Root', 'Qemu', 'Guest', 'Nat')][string[]]$Need)
    switch ($Need) {
        'Root' { if (-not $IsRoot) { return 'needs root (network namespaces)' } }
        'Qemu' { if (-not (Get-Command qemu-system-x86_64 -CommandType Application -ErrorAction Ignore)) { return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)' } }
        'Nat' { foreach ($tool in 'dnsmasq', 'nft', 'sysctl') { if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) { return "$tool is not installed (apt-get install dnsmasq-base nftables procps)" } } }
        'Guest' { if (-not (Test-Path (Join-Path $GuestDir 'initrd.img'))) { return "the test guest is not built in $GuestDir (needs busybox-static, linux-image-amd64, cpio)" } }
    }
    return $null
}

function New-TestStateDirectory {
    <# A private state directory for this test's VMs, so tests never see each other's (or the host's) VMs. #>
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("qemunet-test-" + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $dir
    $env:QEMUNET_STATE_DIR = $dir
    # dnsmasq's reservation files (read as "nobody") live beside the private books, not inside them.
    $env:QEMUNET_DNSMASQ_DIR = "$dir-dnsmasq"
    # Autostart definitions of the test, never /etc/qemunet.
    $env:QEMUNET_CONFIG_DIR = "$dir-config"
    return $dir
}

function Remove-TestStateDirectory([string]$Path) {
    Get-QemuVm -ErrorAction Ignore | Stop-QemuVm -Confirm:$false -TurnOff -ErrorAction Continue
    Remove-Item $Path, "$Path-dnsmasq", "$Path-config" -Recurse -Force -ErrorAction Ignore
    Remove-Item Env:QEMUNET_STATE_DIR, Env:QEMUNET_DNSMASQ_DIR, Env:QEMUNET_CONFIG_DIR -ErrorAction Ignore
}

function New-TestNamespace([string]$Prefix = 'qnt') {
    $name = '{0}-{1}' -f $Prefix, [guid]::NewGuid().ToString('n').Substring(0, 8)
    & ip netns add $name
    if ($LASTEXITCODE -ne 0) { throw "ip netns add $name failed" }
    & ip -n $name link set lo up
    return $name
}

function Remove-TestNamespace([string]$Name) {
    # Whatever still runs in it (a guest a failed test left) goes first, then the namespace.
    foreach ($p in @(& ip netns pids $Name 2>$null)) { if ($p) { & kill -9 $p 2>$null } }
    & ip netns del $Name 2>$null
}

function Invoke-InNamespace([string]$Namespace, [string]$FilePath, [string[]]$ArgumentList) {
    & ip netns exec $Namespace $FilePath @ArgumentList
}

function Invoke-HttpGet {
    <#
    An HTTP/1.0 GET from inside a namespace with busybox nc; returns the raw response. (busybox wget
    crashes on some hosts, and the host has no wget or curl of its own on a fresh machine.)
    #>
    param([Parameter(Mandatory)][string]$Namespace, [Parameter(Mandatory)][string]$Address, [Parameter(Mandatory)][int]$Port)
    $response = "GET / HTTP/1.0`r`nHost: $Address`r`n`r`n" | & ip netns exec $Namespace busybox nc -w 10 $Address $Port 2>&1
    return ($response | Out-String)
}

function Get-NamespaceKey([string]$Namespace) {
    <# The folder name of a namespace's books: its inode and cookie, as the module computes them. #>
    return [QemuNet.Core.Engine.NetworkNamespaceId]::Named($Namespace).Key
}

function Get-Failure([scriptblock]$Script) {
    <# The ErrorRecord a script block stops with, or $null when it runs through. #>
    try { & $Script; return $null } catch { return $_ }
}

function Test-ProcessRunning([int]$ProcessId) {
    <# True while the process exists and is not a zombie waiting for init to reap it. #>
    $stat = Get-Content "/proc/$ProcessId/stat" -Raw -ErrorAction Ignore
    if (-not $stat) { return $false }
    $state = ($stat.Substring($stat.LastIndexOf(')') + 2) -split ' ')[0]
    return $state -notin 'Z', 'X'
}

function Wait-GuestConsole {
    <# Waits until the guest prints QEMUNET-READY (or exits), then returns its QEMUNET lines. #>
    param([Parameter(Mandatory)]$Vm, [int]$TimeoutSec = 120, [string]$Until = 'QEMUNET-READY')
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ([datetime]::UtcNow -lt $deadline) {
        $text = if (Test-Path $Vm.ConsoleLog) { Get-Content -Raw $Vm.ConsoleLog } else { '' }
        if ($text -match [regex]::Escape($Until) -or -not (Test-ProcessRunning $Vm.Pid)) { break }
        Start-Sleep -Milliseconds 250
    }
    $text = if (Test-Path $Vm.ConsoleLog) { Get-Content -Raw $Vm.ConsoleLog } else { '' }
    return @($text -split "`r?`n" | Where-Object { $_ -match '^QEMUNET-' })
}

function ConvertFrom-GuestLine([string]$Line) {
    <# 'QEMUNET-LEASE name=eth0 ip=10.0.2.15' -> @{ Kind='LEASE'; name='eth0'; ip='10.0.2.15' } #>
    $fields = @{ Kind = ($Line -split ' ')[0] -replace '^QEMUNET-' }
    foreach ($m in [regex]::Matches($Line, '(\w+)=(\S+)')) { $fields[$m.Groups[1].Value] = $m.Groups[2].Value }
    return $fields
}

function Start-ChildPwsh {
    <#
    Starts a script in a fresh pwsh with the module imported, with extra environment variables, without waiting:
    for the crash harness, which kills it mid-plan. Output goes to files (no pipe can fill up and block it).
    #>
    param([Parameter(Mandatory)][string]$Script, [hashtable]$Environment = @{}, [string]$Umask)
    $dotnet = (Get-Process -Id $PID).Path
    $pwshDll = [Environment]::GetCommandLineArgs()[0]
    $full = "`$ErrorActionPreference = 'Stop'; Import-Module '$ModuleManifest'; $Script"
    $psi = [Diagnostics.ProcessStartInfo]::new()
    $pwshArgs = @(if ($pwshDll -like '*.dll') { $pwshDll }) + @('-NoProfile', '-NonInteractive', '-Command', $full)
    if ($Umask) {
        # sh sets the umask, then becomes pwsh (exec), so the pid is pwsh's.
        $psi.FileName = '/bin/sh'
        foreach ($a in @('-c', "umask $Umask && exec `"`$0`" `"`$@`"", $(if ($pwshDll -like '*.dll') { $dotnet } else { $pwshDll })) + $pwshArgs) { $psi.ArgumentList.Add($a) }
    } else {
        $psi.FileName = if ($pwshDll -like '*.dll') { $dotnet } else { $pwshDll }
        foreach ($a in $pwshArgs) { $psi.ArgumentList.Add($a) }
    }
    # No diagnostics pipes: a child killed with -9 would leave its two in /tmp for good.
    $psi.Environment['DOTNET_EnableDiagnostics'] = '0'
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($psi)
    # Drain both streams in the background; what it printed is there once it has exited (.Output.Result).
    $process | Add-Member -NotePropertyName Output -NotePropertyValue $process.StandardOutput.ReadToEndAsync()
    $process | Add-Member -NotePropertyName Errors -NotePropertyValue $process.StandardError.ReadToEndAsync()
    return $process
}

function Invoke-ChildPwsh {
    <# Runs a script in a fresh pwsh with the module imported; returns everything it printed (stdout and host). #>
    param([Parameter(Mandatory)][string]$Script)
    $dotnet = (Get-Process -Id $PID).Path
    $pwshDll = [Environment]::GetCommandLineArgs()[0]
    $full = "`$ErrorActionPreference = 'Stop'; Import-Module '$ModuleManifest'; $Script"
    if ($pwshDll -like '*.dll') {
        $out = & $dotnet $pwshDll -NoProfile -NonInteractive -Command $full 2>&1
    } else {
        $out = & $pwshDll -NoProfile -NonInteractive -Command $full 2>&1
    }
    return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
}

function Invoke-KilledCommand {
    <#
    The crash harness's kill: runs a module command line in a child pwsh (with the given state directory) that
    stops at the plan runner's pause hook $Point ("KIND:STEP.CHANGE:before|after|done"), then kill -9s it there.
    True when the run reached the point.
    #>
    param([Parameter(Mandatory)][string]$Script, [Parameter(Mandatory)][string]$Point, [Parameter(Mandatory)][string]$StateDirectory, [Parameter(Mandatory)][string]$Scratch)
    $pauseFile = Join-Path $Scratch "pause-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
    $child = Start-ChildPwsh -Script $Script -Environment @{
        QEMUNET_STATE_DIR = $StateDirectory; QEMUNET_DNSMASQ_DIR = "$StateDirectory-dnsmasq"
        QEMUNET_TEST_PAUSE = $Point; QEMUNET_TEST_PAUSE_FILE = $pauseFile
    }
    $deadline = [datetime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path $pauseFile) -and -not $child.HasExited -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 25 }
    $reached = Test-Path $pauseFile
    & kill -9 $child.Id 2>$null
    $child.WaitForExit()
    Remove-Item $pauseFile -ErrorAction Ignore
    return $reached
}

function Get-PlanTrace {
    <#
    Runs a module command line here and returns the changes ("STEP.CHANGE") its plan of $Kind made, as the runner
    traces them; with -Matching, only those whose action (as -WhatIf shows it) matches that pattern.
    #>
    param([Parameter(Mandatory)][string]$Script, [Parameter(Mandatory)][string]$Kind, [Parameter(Mandatory)][string]$Scratch, [string]$Matching = '')
    $trace = Join-Path $Scratch 'trace.txt'
    Remove-Item $trace -ErrorAction Ignore
    $env:QEMUNET_TEST_TRACE = $trace
    try { $null = & ([scriptblock]::Create($Script)) } finally { Remove-Item Env:QEMUNET_TEST_TRACE }
    @(Get-Content $trace | Where-Object { $_ -like "$Kind *" -and ($_ -split ' ', 4)[3] -match $Matching } | ForEach-Object { ($_ -split ' ')[2] })
}

function Get-CrashPoints {
    <#
    Where the crash harness kills a plan of $Kind: with -Full (the Stress task) every change at all three timings;
    otherwise change $First after it ran, a middle one before it runs, and change $Last after it ran.
    #>
    param([Parameter(Mandatory)][string]$Kind, [Parameter(Mandatory)][string[]]$Changes, [switch]$Full, [int]$First = 0, [int]$Last = -1)
    if ($Full) {
        foreach ($c in $Changes) { "${Kind}:${c}:before"; "${Kind}:${c}:after"; "${Kind}:${c}:done" }
        return
    }
    @("${Kind}:$($Changes[$First]):after", "${Kind}:$($Changes[[int][math]::Floor($Changes.Count / 2)]):before", "${Kind}:$($Changes[$Last]):after") | Select-Object -Unique
}

function Get-FaultPoints {
    <# Where the faults suites inject a failure: every change under the Stress task; otherwise the first, a middle and the last. #>
    param([Parameter(Mandatory)][string[]]$Changes, [switch]$Full)
    if ($Full) { return $Changes }
    @($Changes[0], $Changes[[int][math]::Floor($Changes.Count / 2)], $Changes[-1]) | Select-Object -Unique
}

function Get-TestUser {
    <#
    The unprivileged user build.ps1's Test task makes when it runs as root, with its own copies of pwsh, the
    staged module and the test guest (root's are out of its reach); $null when there is none.
    #>
    if (-not $env:QEMUNET_TEST_USER -or -not $env:QEMUNET_TEST_USER_FOLDER) { return $null }
    $folder = $env:QEMUNET_TEST_USER_FOLDER
    return [pscustomobject]@{
        Name     = $env:QEMUNET_TEST_USER
        Home     = Join-Path $folder 'home'
        Pwsh     = Join-Path $folder 'pwsh/pwsh.dll'
        Module   = Get-ChildItem (Join-Path $folder 'repo/output/QemuNet/*/QemuNet.psd1') | Select-Object -Last 1 -ExpandProperty FullName
        GuestDir = Join-Path $folder 'repo/output/guest'
    }
}

function Invoke-AsTestUser {
    <#
    Runs a script as the unprivileged test user, with the module imported and a normal user's PATH: root enters
    $Namespace first (a user cannot), then drops to that user (setpriv), as `sudo -u` would after `ip netns exec`.
    #>
    param([Parameter(Mandatory)]$User, [Parameter(Mandatory)][string]$Script, [string]$Namespace, [hashtable]$Environment = @{})
    $variables = @("HOME=$($User.Home)", 'PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8', 'DOTNET_CLI_TELEMETRY_OPTOUT=1') +
        @($Environment.Keys | ForEach-Object { "$_=$($Environment[$_])" })
    $full = "`$ErrorActionPreference = 'Stop'; Import-Module '$($User.Module)'; $Script"
    $command = @('setpriv', "--reuid=$($User.Name)", "--regid=$($User.Name)", '--init-groups', '--', 'env', '-i') + $variables +
        @((Get-Command dotnet).Source, $User.Pwsh, '-NoProfile', '-NonInteractive', '-Command', $full)
    if ($Namespace) { $command = @('ip', 'netns', 'exec', $Namespace) + $command }
    $out = & $command[0] $command[1..($command.Count - 1)] 2>&1
    return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
}

function Test-StressRun {
    <# True under build.ps1 -Task Stress (every point, every cycle); the Test task runs a quick subset. #>
    return $env:QEMUNET_STRESS -eq '1'
}

function Write-StressResult {
    <#
    One stress case's figures: printed as the suites always did, and appended as a JSON line to the file
    QEMUNET_STRESS_REPORT names, from which build.ps1 prints its summary table and writes bench/RESULTS.md.
    #>
    param([Parameter(Mandatory)][string]$Area, [Parameter(Mandatory)][string]$Case, [Parameter(Mandatory)][int]$Runs,
        [int]$Failures, [string]$Detail)
    $line = "    $($Area.ToLowerInvariant()) ${Case}: $Runs run(s), $Failures failure(s)$(if ($Detail) { " ($Detail)" })"
    Write-Host $line
    if ($env:QEMUNET_STRESS_REPORT) {
        $record = [ordered]@{ Area = $Area; Case = $Case; Runs = $Runs; Failures = $Failures; Detail = $Detail }
        # One short append per case: parallel suites' lines never interleave.
        [IO.File]::AppendAllText($env:QEMUNET_STRESS_REPORT, (($record | ConvertTo-Json -Compress) + "`n"))
    }
}

function Get-NamespaceSnapshot {
    <#
    What a namespace looks like, as text that a correct run leaves the same from one run to the next: links with
    their kind, master and state (no MACs or indexes), addresses with lifetimes as forever/finite, routes and
    rules of every table, the nft ruleset without counters or handles (nft -s), forwarding sysctls, and the
    programs running in it. Compare two with Compare-NamespaceSnapshot.
    #>
    param([Parameter(Mandatory)][string]$Namespace)
    $links = & ip -n $Namespace -d -o link show | ForEach-Object {
        $name = ($_ -split ': ')[1] -replace '@.*$'
        $master = if ($_ -match ' master (\S+)') { $Matches[1] } else { '-' }
        $state = if ($_ -match ' state (\S+)') { $Matches[1] } else { '?' }
        $kind = if ($_ -match '\\\s+(bridge|veth|tun|dummy|vlan|macvlan|bond)\b') { $Matches[1] } else { '-' }
        $up = if ($_ -match '<[^>]*\bUP\b') { 'up' } else { 'down' }
        "$name kind=$kind master=$master admin=$up oper=$state"
    } | Sort-Object
    $addrs = & ip -n $Namespace addr show | Where-Object { $_ -match '^\d+:|^\s+(inet6?|valid_lft) ' } | ForEach-Object {
        if ($_ -match '^\d+: (\S+?)(@\S+)?:') { "$($Matches[1]):" }
        else { $_ -replace 'valid_lft \d+sec', 'valid_lft finite' -replace 'preferred_lft \d+sec', 'preferred_lft finite' -replace ' tentative', '' }
    }
    [pscustomobject]@{
        Links    = ($links | Out-String)
        Addrs    = ($addrs | Out-String)
        Routes   = (& ip -n $Namespace -4 route show table all | Out-String) + (& ip -n $Namespace -6 route show table all | Where-Object { $_ -notmatch '^(local|multicast|anycast) fe80|^fe80' } | Out-String)
        Rules    = (& ip -n $Namespace rule | Out-String) + (& ip -n $Namespace -6 rule | Out-String)
        Ruleset  = (& ip netns exec $Namespace nft -s list ruleset | Out-String)
        Sysctls  = (& ip netns exec $Namespace sysctl net.ipv4.ip_forward net.ipv4.conf net.ipv6.conf 2>$null | Where-Object { $_ -match '^net\.ipv4\.ip_forward|\.forwarding = |\.accept_ra = ' } | Out-String)
        Programs = (@(& ip netns pids $Namespace 2>$null | ForEach-Object { Get-Content "/proc/$_/comm" -ErrorAction Ignore }) | Sort-Object | Out-String)
    }
}

function Compare-NamespaceSnapshot {
    <# Throws (through Should) naming the first part of the namespace that differs from $Expected. #>
    param([Parameter(Mandatory)][string]$Namespace, [Parameter(Mandatory)]$Expected, [string]$Because = 'the namespace must be as it was', [string[]]$Skip = @())
    $now = Get-NamespaceSnapshot -Namespace $Namespace
    foreach ($p in $Expected.PSObject.Properties.Name | Where-Object { $_ -notin $Skip }) {
        $now.$p | Should -Be $Expected.$p -Because "$p must match ($Because)"
    }
}

function Add-UpstreamLink {
    <#
    Somewhere for NAT guests to get out to: a veth from $HostNamespace (203.0.113.1 on $HostLink) to
    $UpstreamNamespace (203.0.113.2 on eth0), where busybox httpd serves UPSTREAM-OK from $WebRoot (made here).
    #>
    param([Parameter(Mandatory)][string]$HostNamespace, [Parameter(Mandatory)][string]$UpstreamNamespace,
        [Parameter(Mandatory)][string]$WebRoot, [string]$HostLink = 'up0')
    & ip link add $HostLink netns $HostNamespace type veth peer name eth0 netns $UpstreamNamespace
    & ip -n $HostNamespace addr add 203.0.113.1/24 dev $HostLink
    & ip -n $HostNamespace link set $HostLink up
    & ip -n $UpstreamNamespace addr add 203.0.113.2/24 dev eth0
    & ip -n $UpstreamNamespace link set eth0 up
    $null = New-Item -ItemType Directory -Path $WebRoot -Force
    Set-Content (Join-Path $WebRoot 'index.html') 'UPSTREAM-OK'
    & ip netns exec $UpstreamNamespace busybox httpd -p 203.0.113.2:80 -h $WebRoot
}

function Add-RichUplink {
    <#
    An uplink up0 in $HostNamespace as on a real host, its peer lan0 in $LanNamespace: a primary and a labelled
    secondary address in one subnet, a DHCP address with a finite lifetime, a default route with an mtu, a
    table-100 route with its policy rules, and a permanent neighbour. Returns once the link-local address has
    left DAD, so snapshots compare the module's work and not the kernel's timer.
    #>
    param([Parameter(Mandatory)][string]$HostNamespace, [Parameter(Mandatory)][string]$LanNamespace)
    & ip link add up0 netns $HostNamespace address 52:54:00:aa:00:01 type veth peer name lan0 netns $LanNamespace
    & ip -n $LanNamespace addr add 203.0.113.1/24 dev lan0
    & ip -n $LanNamespace addr add 198.18.0.1/15 dev lan0
    & ip -n $LanNamespace link set lan0 up
    & ip -n $HostNamespace link set up0 up
    & ip -n $HostNamespace addr add 203.0.113.10/24 dev up0
    & ip -n $HostNamespace addr add 203.0.113.11/24 dev up0 label up0:1
    & ip -n $HostNamespace addr add 192.0.2.20/24 dev up0 valid_lft 7200 preferred_lft 3600
    & ip -n $HostNamespace route add default via 203.0.113.1 dev up0 mtu 1400
    & ip -n $HostNamespace route add 198.18.0.0/15 via 203.0.113.1 dev up0 table 100
    & ip -n $HostNamespace rule add from 203.0.113.11 lookup 100 pref 1000
    & ip -n $HostNamespace rule add iif up0 lookup 100 pref 1001
    & ip -n $HostNamespace neigh add 203.0.113.50 lladdr 52:54:00:00:00:50 dev up0 nud permanent
    $deadline = [datetime]::UtcNow.AddSeconds(10)
    while ((& ip -n $HostNamespace -6 addr show dev up0 tentative | Out-String).Trim() -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
}

# QEMU's own view of a running guest, through its QMP socket (a Unix socket: no namespace needed): a QMP command's
# return value, or an HMP command's text ('info network'). The module's client is not used, so a test checks it.
function Invoke-TestQmp([string]$QmpSocket, [string]$Command, [hashtable]$Arguments) {
    $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
    try {
        $socket.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($QmpSocket))
        $stream = [System.Net.Sockets.NetworkStream]::new($socket)
        $reader = [System.IO.StreamReader]::new($stream)
        $writer = [System.IO.StreamWriter]::new($stream)
        $writer.AutoFlush = $true
        $null = $reader.ReadLine()
        $writer.WriteLine('{"execute":"qmp_capabilities"}')
        $null = $reader.ReadLine()
        $request = @{ execute = $Command }
        if ($Arguments) { $request.arguments = $Arguments }
        $writer.WriteLine(($request | ConvertTo-Json -Compress -Depth 5))
        while ($true) {
            $reply = $reader.ReadLine() | ConvertFrom-Json
            if ($reply.PSObject.Properties.Name -contains 'return') { return $reply.return }
            if ($reply.PSObject.Properties.Name -contains 'error') { throw "QMP '$Command': $($reply.error.desc)" }
        }
    }
    finally { $socket.Dispose() }
}

function Invoke-TestHmp([string]$QmpSocket, [string]$Command) {
    Invoke-TestQmp $QmpSocket 'human-monitor-command' @{ 'command-line' = $Command }
}
