# Concurrency, on real parts in namespaces the test makes: 8 processes released at one moment, half entered with
# `ip netns exec` and half with -NetworkNamespace, enable and disable their own NAT networks (racing for one host
# port), add and remove forwards and reservations on one shared network, and start and stop guests whose TAPs the
# module makes on it. Every step must succeed or stop with a module error of a stable id (never a lock timeout, a
# torn record or an unhandled exception), and the end state must be what the successful steps add up to. Then a
# plan hung at a step in one namespace must not delay the commands of another.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Nat, Qemu, Guest
    if ($skip) { Write-Warning "Skipping the concurrency tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    # Ids that are never a clean failure: the books or the lock let a command down.
    $script:uncleanIds = 'HostLockTimeout', 'StateRecordCorrupt', 'StateRecordInvalid', 'StateJournalCorrupt', 'StateFileUnsafe'
    # The port every own network asks for: at most one network may hold it at a time.
    $script:contestedPort = 9000

    function Start-Worker {
        <#
        A child pwsh with the module imported that runs $Ops (each a command line; '@NS' stands for -NetworkNamespace
        when the worker comes from outside) once $Go exists, and appends one JSON line per step to $Report: its
        success, or its error id, exception type and message. $Inside: the child is started by `ip netns exec`.
        #>
        param([Parameter(Mandatory)][string]$Namespace, [switch]$Inside, [Parameter(Mandatory)][object[]]$Ops,
            [Parameter(Mandatory)][string]$Report, [Parameter(Mandatory)][string]$Ready, [Parameter(Mandatory)][string]$Go)
        $target = if ($Inside) { '' } else { "-NetworkNamespace $Namespace" }
        $steps = for ($i = 0; $i -lt $Ops.Count; $i++) { "Step $i { $($Ops[$i].Command.Replace('@NS', $target)) }" }
        $script = @"
function Step([int]`$Seq, [scriptblock]`$Do) {
    `$entry = [ordered]@{ Seq = `$Seq; Ok = `$true; Id = `$null; Type = `$null; Message = `$null; Ms = 0 }
    `$watch = [Diagnostics.Stopwatch]::StartNew()
    try { `$null = & `$Do }
    catch { `$entry.Ok = `$false; `$entry.Id = [string]`$_.FullyQualifiedErrorId; `$entry.Type = `$_.Exception.GetType().FullName; `$entry.Message = [string]`$_ }
    `$entry.Ms = `$watch.ElapsedMilliseconds
    [IO.File]::AppendAllText('$Report', ((`$entry | ConvertTo-Json -Compress) + "``n"))
}
[IO.File]::WriteAllText('$Ready', [string]`$PID)
while (-not (Test-Path '$Go')) { Start-Sleep -Milliseconds 10 }
$($steps -join "`n")
"@
        if (-not $Inside) { return Start-ChildPwsh -Script $script }
        # As an admin enters it: pwsh started by ip netns exec works on its own namespace, without -NetworkNamespace.
        $dotnet = (Get-Process -Id $PID).Path
        $pwshDll = [Environment]::GetCommandLineArgs()[0]
        $psi = [Diagnostics.ProcessStartInfo]::new('ip')
        $argv = @('netns', 'exec', $Namespace) + @(if ($pwshDll -like '*.dll') { $dotnet, $pwshDll } else { $pwshDll }) +
            @('-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module '$ModuleManifest'; $script")
        foreach ($a in $argv) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($psi)
        $null = $process.StandardOutput.ReadToEndAsync()
        $null = $process.StandardError.ReadToEndAsync()
        return $process
    }

    function Invoke-Workers {
        <#
        Starts one worker per entry of $Plan (@{ Inside; Ops }), releases them together once all have imported the
        module, and waits for them. Returns every step with its outcome (Worker, Op, Key, Ok, Id…), the workers'
        own problems (a crash, a missing report line) and the seconds from release to the last exit.
        #>
        param([Parameter(Mandatory)][string]$Namespace, [Parameter(Mandatory)][object[]]$Plan, [int]$TimeoutSec = 300)
        $dir = (New-Item -ItemType Directory -Path (Join-Path $scratch ([guid]::NewGuid().ToString('n').Substring(0, 8)))).FullName
        $go = Join-Path $dir 'go'
        $workers = for ($w = 0; $w -lt $Plan.Count; $w++) {
            $files = @{ Report = Join-Path $dir "w$w.jsonl"; Ready = Join-Path $dir "w$w.ready" }
            [pscustomobject]@{
                Index = $w; Ops = $Plan[$w].Ops; Report = $files.Report
                Process = Start-Worker -Namespace $Namespace -Inside:$Plan[$w].Inside -Ops $Plan[$w].Ops -Report $files.Report -Ready $files.Ready -Go $go
            }
        }
        $problems = [Collections.Generic.List[string]]::new()
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
        while (@(Get-ChildItem $dir -Filter '*.ready').Count -lt $workers.Count -and [datetime]::UtcNow -lt $deadline -and
            -not ($workers.Process | Where-Object HasExited)) { Start-Sleep -Milliseconds 20 }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = New-Item -ItemType File -Path $go
        foreach ($worker in $workers) {
            $left = [math]::Max(1000, ($deadline - [datetime]::UtcNow).TotalMilliseconds)
            if (-not $worker.Process.WaitForExit([int]$left)) {
                $problems.Add("worker $($worker.Index) did not finish in ${TimeoutSec}s")
                & kill -9 $worker.Process.Id 2>$null
                $worker.Process.WaitForExit()
            }
        }
        $seconds = $watch.Elapsed.TotalSeconds
        $steps = foreach ($worker in $workers) {
            $lines = @(if (Test-Path $worker.Report) { Get-Content $worker.Report | ConvertFrom-Json })
            if ($worker.Process.ExitCode -ne 0) { $problems.Add("worker $($worker.Index) exited with $($worker.Process.ExitCode)") }
            if ($lines.Count -ne $worker.Ops.Count) { $problems.Add("worker $($worker.Index) reported $($lines.Count) of $($worker.Ops.Count) steps") }
            foreach ($line in $lines) {
                $op = $worker.Ops[$line.Seq]
                [pscustomobject]@{ Worker = $worker.Index; Seq = $line.Seq; Op = $op['Op']; Key = $op['Key']; Value = $op['Value']; Command = $op['Command']
                    Ok = $line.Ok; Id = $line.Id; Type = $line.Type; Message = $line.Message; Ms = $line.Ms }
            }
        }
        Remove-Item $dir -Recurse -Force
        Write-Host "    released $($workers.Count) workers: $([math]::Round($seconds, 1)) s to the last exit"
        [pscustomobject]@{ Steps = @($steps); Problems = @($problems); Seconds = $seconds }
    }

    function Get-UncleanStep($Steps) {
        # A clean failure is a module ErrorRecord: a plain id from a QemuNet cmdlet (an unhandled exception's id is its
        # type name, with dots), carrying the module's exception (or a Get- cmdlet's not-found), not one of the books or the lock.
        foreach ($s in $Steps | Where-Object { -not $_.Ok }) {
            $id, $source = $s.Id -split ',', 2
            if ($id -notmatch '^[A-Z][A-Za-z]+$' -or $source -notlike 'QemuNet.Commands.*' -or $id -in $uncleanIds -or
                $s.Type -notin 'QemuNet.Core.QemuNetException', 'System.Management.Automation.ItemNotFoundException') {
                "worker $($s.Worker) step $($s.Seq) ($($s.Command)): $($s.Id) [$($s.Type)] $($s.Message)"
            }
        }
    }

    function New-RoundPlan([int]$Round) {
        <#
        The 8 workers of a round: even ones enter with ip netns exec, odd ones with -NetworkNamespace. 0-2 enable
        their own network, race for one host port, forward one of their own (Stress task) and maybe disable again; 3-5 add and
        remove forwards and reservations on the shared network; 6-7 start, stop and start or remove a guest on it.
        Each op: Op (what it changes), Key (which object), Value (what the object becomes), Command.
        #>
        $guest = "-Kernel '$kernel' -Initrd '$initrd' -Accelerator Tcg -Memory 128 -Append '$GuestAppend qn_hold=600'"
        for ($w = 0; $w -lt 8; $w++) {
            $ops = [Collections.Generic.List[object]]::new()
            switch ($w) {
                { $_ -le 2 } {
                    $net = "c$w"
                    $ops.Add(@{ Op = 'enable'; Key = $net; Command = "Enable-QemuNat -Name $net -Subnet 198.51.100.$(16 * $w)/28 @NS -Confirm:`$false" })
                    $ops.Add(@{ Op = 'addfwd'; Key = $net; Value = $contestedPort; Command = "Add-QemuPortForward -Network $net -HostPort $contestedPort -GuestAddress 198.51.100.$(16 * $w + 5) -GuestPort 80 @NS -Confirm:`$false" })
                    if ($stress) { $ops.Add(@{ Op = 'addfwd'; Key = $net; Value = 9100 + $w; Command = "Add-QemuPortForward -Network $net -HostPort $(9100 + $w) -GuestAddress 198.51.100.$(16 * $w + 6) -GuestPort 22 @NS -Confirm:`$false" }) }
                    $ops.Add(@{ Op = 'read'; Command = 'Get-QemuNat @NS' })
                    if (($w + $Round) % 3 -eq 0) { $ops.Add(@{ Op = 'disable'; Key = $net; Command = "Disable-QemuNat -Name $net @NS -Confirm:`$false" }) }
                }
                { $_ -ge 3 -and $_ -le 5 } {
                    # The quick subset (the Test task) gives each of them two forwards and reservations and one read, the Stress task three and two.
                    $items = if ($stress) { 3 } else { 2 }
                    foreach ($k in 0..($items - 1)) {
                        $ops.Add(@{ Op = 'addfwd'; Key = 'shared'; Value = 10000 + 100 * $w + $k; Command = "Add-QemuPortForward -Network shared -HostPort $(10000 + 100 * $w + $k) -GuestAddress 198.18.0.$(10 * $w + $k) -GuestPort $(80 + $k) @NS -Confirm:`$false" })
                        $ops.Add(@{ Op = 'addres'; Key = 'shared'; Value = "52:54:00:1c:0${w}:0$k"; Command = "Add-QemuNatReservation -Network shared -MacAddress 52:54:00:1c:0${w}:0$k -IPAddress 198.18.0.$(100 + 10 * $w + $k) -HostName r$w$k @NS -Confirm:`$false" })
                        if ($stress -and $k -eq 1) { $ops.Add(@{ Op = 'read'; Command = 'Get-QemuNat -Name shared @NS' }) }
                    }
                    $k = ($w + $Round) % $items
                    $ops.Add(@{ Op = 'rmfwd'; Key = 'shared'; Value = 10000 + 100 * $w + $k; Command = "Remove-QemuPortForward -Network shared -HostPort $(10000 + 100 * $w + $k) @NS -Confirm:`$false" })
                    $k = ($w + $Round + 1) % $items
                    $ops.Add(@{ Op = 'rmres'; Key = 'shared'; Value = "52:54:00:1c:0${w}:0$k"; Command = "Remove-QemuNatReservation -Network shared -MacAddress 52:54:00:1c:0${w}:0$k @NS -Confirm:`$false" })
                    $ops.Add(@{ Op = 'read'; Command = 'Get-QemuNat @NS' })
                }
                { $_ -ge 6 } {
                    $vm = "cv$w"
                    $ops.Add(@{ Op = 'start'; Key = $vm; Command = "Start-QemuVm -Network shared -Name $vm $guest @NS -Confirm:`$false" })
                    $ops.Add(@{ Op = 'read'; Command = 'Get-QemuVm' })
                    $ops.Add(@{ Op = 'stop'; Key = $vm; Command = "Stop-QemuVm -Name $vm -TurnOff -Confirm:`$false" })
                    if (($w + $Round) % 2 -eq 0) { $ops.Add(@{ Op = 'start'; Key = $vm; Command = "Start-QemuVm -Name $vm -Confirm:`$false" }) }
                    else { $ops.Add(@{ Op = 'remove'; Key = $vm; Command = "Remove-QemuVm -Name $vm -Confirm:`$false" }) }
                    $ops.Add(@{ Op = 'read'; Command = 'Get-QemuNat @NS' })
                }
            }
            @{ Inside = ($w % 2 -eq 0); Ops = $ops.ToArray() }
        }
    }

    function Get-ExpectedState($Steps) {
        # The successful steps replayed in each worker's order (the workers change disjoint objects, but for the contested port).
        $nets = @{ shared = @{} }
        $reservations = @{}
        $vms = @{}
        foreach ($s in $Steps | Where-Object Ok | Sort-Object Worker, Seq) {
            switch ($s.Op) {
                'enable' { $nets[$s.Key] = @{} }
                'disable' { $nets.Remove($s.Key) }
                'addfwd' { $nets[$s.Key][[int]$s.Value] = $true }
                'rmfwd' { $nets[$s.Key].Remove([int]$s.Value) }
                'addres' { $reservations[$s.Value] = $true }
                'rmres' { $reservations.Remove($s.Value) }
                'start' { $vms[$s.Key] = 'Running' }
                'stop' { $vms[$s.Key] = 'Off' }
                'remove' { $vms.Remove($s.Key) }
            }
        }
        [pscustomobject]@{ Networks = $nets; Reservations = $reservations; Vms = $vms }
    }

    function Get-StateMismatch {
        <# How the namespace, the books and what the Get- cmdlets say differ from $Expected; nothing when they agree. #>
        param([Parameter(Mandatory)][string]$Namespace, [Parameter(Mandatory)]$Expected)
        $sorted = { param($items) (@($items | ForEach-Object { "$_" } | Sort-Object) -join ',') }
        $nets = @(Get-QemuNat -NetworkNamespace $Namespace -ErrorVariable natProblems -ErrorAction SilentlyContinue)
        foreach ($p in $natProblems) { "Get-QemuNat: $($p.FullyQualifiedErrorId) $p" }
        $want = & $sorted $Expected.Networks.Keys
        $have = & $sorted ($nets | ForEach-Object Name)
        if ($have -ne $want) { "networks are [$have], the successful steps make [$want]" }
        $tables = & $sorted (& ip netns exec $Namespace nft list tables | Where-Object { $_ -like 'table inet qemunet_*' } | ForEach-Object { $_ -replace '^table inet qemunet_' })
        if ($tables -ne $want) { "nft tables are [$tables], the successful steps make [$want]" }
        foreach ($net in $nets | Where-Object { $Expected.Networks.ContainsKey($_.Name) }) {
            if ($net.State -ne 'Active' -or $net.Drift) { "network $($net.Name) is $($net.State): $($net.Drift -join '; ')" }
            $wantPorts = & $sorted $Expected.Networks[$net.Name].Keys
            $havePorts = & $sorted ($net.PortForwards | ForEach-Object HostPort)
            if ($havePorts -ne $wantPorts) { "network $($net.Name) forwards [$havePorts], the successful steps make [$wantPorts]" }
            $rules = & ip netns exec $Namespace nft list table inet $net.TableName | Out-String
            $nftPorts = & $sorted ([regex]::Matches($rules, 'dport (\d+) dnat') | ForEach-Object { $_.Groups[1].Value } | Select-Object -Unique)
            if ($nftPorts -ne $wantPorts) { "table $($net.TableName) forwards [$nftPorts], the successful steps make [$wantPorts]" }
        }
        $holders = @($nets | Where-Object { @($_.PortForwards | ForEach-Object HostPort) -contains $contestedPort })
        if ($holders.Count -gt 1) { "port $contestedPort is forwarded by $($holders.Count) networks at once: $($holders.Name -join ', ')" }
        $wantMacs = & $sorted $Expected.Reservations.Keys
        $haveMacs = & $sorted ($nets | Where-Object Name -eq 'shared' | ForEach-Object { $_.Reservations } | ForEach-Object MacAddress)
        if ($haveMacs -ne $wantMacs) { "shared reserves [$haveMacs], the successful steps make [$wantMacs]" }
        $hostsFile = Join-Path $env:QEMUNET_DNSMASQ_DIR "$(Get-NamespaceKey $Namespace)/shared.dhcp-hosts"
        $fileMacs = & $sorted (Get-Content $hostsFile -ErrorAction Ignore | ForEach-Object { ($_ -split ',')[0] })
        if ($fileMacs -ne $wantMacs) { "dnsmasq's hosts file holds [$fileMacs], the successful steps make [$wantMacs]" }
        $vms = @(Get-QemuVm -ErrorVariable vmProblems -ErrorAction SilentlyContinue)
        foreach ($p in $vmProblems) { "Get-QemuVm: $($p.FullyQualifiedErrorId) $p" }
        $haveVms = & $sorted ($vms | ForEach-Object { "$($_.Name)=$($_.State)" })
        $wantVms = & $sorted ($Expected.Vms.Keys | ForEach-Object { "$_=$($Expected.Vms[$_])" })
        if ($haveVms -ne $wantVms) { "VMs are [$haveVms], the successful steps make [$wantVms]" }
        $taps = & $sorted (& ip -n $Namespace -o link show type tun | ForEach-Object { ($_ -split ': ')[1] -replace '@.*$' })
        $wantTaps = & $sorted ($vms | Where-Object State -eq 'Running' | ForEach-Object { $_.Nics | ForEach-Object { $_.Backend.IfName } })
        if ($taps -ne $wantTaps) { "TAPs are [$taps], the running guests have [$wantTaps]" }
        $ports = & $sorted (& ip -n $Namespace -o link show master qn-shared | ForEach-Object { ($_ -split ': ')[1] -replace '@.*$' })
        if ($ports -ne $wantTaps) { "qn-shared's ports are [$ports], the running guests have [$wantTaps]" }
        $null = Get-QemuBridge -NetworkNamespace $Namespace -ErrorVariable bridgeProblems -ErrorAction SilentlyContinue
        foreach ($p in $bridgeProblems) { "Get-QemuBridge: $($p.FullyQualifiedErrorId) $p" }
        $books = (Join-Path $state "nat/$(Get-NamespaceKey $Namespace)"), (Join-Path $state 'vm'), $state
        $leftovers = @(Get-ChildItem $books -File -Include '*.journal', '*.tmp' -ErrorAction Ignore)
        if ($leftovers) { "left in the books: $($leftovers.FullName -join ', ')" }
    }

    function Reset-Namespace([string]$Namespace) {
        # Everything the workers may have made, gone, so the namespace is as it was before the round.
        Get-QemuVm -ErrorAction Ignore | Remove-QemuVm -Force -Confirm:$false -ErrorAction Continue
        Get-QemuNat -NetworkNamespace $Namespace -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
    }

    $script:skipRun = Get-TestSkipReason -Need Root, Nat, Qemu, Guest
    if ($skipRun) { return }
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'
    $script:state = New-TestStateDirectory
    $script:scratch = (New-Item -ItemType Directory -Path "$state-scratch").FullName
    $script:stress = Test-StressRun
}

AfterAll {
    if ($skipRun) { return }
    Remove-TestStateDirectory $state
    Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
}

Describe 'Concurrency: 8 processes at once in one namespace' -Skip:([bool]$skip) {
    BeforeAll {
        $script:ns = New-TestNamespace 'qnt-conc'
        $script:initial = Get-NamespaceSnapshot -Namespace $ns
    }
    AfterAll {
        Reset-Namespace $ns
        Remove-TestNamespace $ns
    }

    It 'every step succeeds or fails cleanly, the end state is what succeeded, and the namespace is as it was afterwards' {
        $rounds = if ($stress) { 10 } else { 1 }
        $failures = [Collections.Generic.List[string]]::new()
        $stepCount = 0
        $cleanFailures = [Collections.Generic.List[string]]::new()
        $slowest = 0
        for ($round = 0; $round -lt $rounds; $round++) {
            $problems = @(try {
                $null = Enable-QemuNat -Name shared -Subnet 198.18.0.0/24 -DomainName conc.test -NetworkNamespace $ns -Confirm:$false
                $run = Invoke-Workers -Namespace $ns -Plan @(New-RoundPlan $round)
                $stepCount += $run.Steps.Count
                $slowest = [math]::Max($slowest, [int]($run.Steps | Measure-Object Ms -Maximum).Maximum)
                foreach ($s in $run.Steps | Where-Object { -not $_.Ok }) { $cleanFailures.Add(($s.Id -split ',')[0]) }
                $run.Problems
                Get-UncleanStep $run.Steps
                Get-StateMismatch -Namespace $ns -Expected (Get-ExpectedState $run.Steps)
                Reset-Namespace $ns
                Compare-NamespaceSnapshot -Namespace $ns -Expected $initial -Because "after round $round"
            } catch { "$_" })
            if ($problems) {
                $failures.Add("round ${round}: $($problems -join ' | ')")
                Reset-Namespace $ns
            }
        }
        $idSummary = ($cleanFailures | Group-Object | ForEach-Object { "$($_.Name)×$($_.Count)" }) -join ', '
        Write-StressResult -Area Concurrency -Case '8 processes, both ways into one namespace' -Runs $rounds -Failures $failures.Count `
            -Detail "$stepCount steps, $($cleanFailures.Count) clean failure(s)$(if ($idSummary) { " ($idSummary)" }), slowest step $([math]::Round($slowest / 1000, 1)) s"
        $failures | Should -BeNullOrEmpty
    }
}

Describe 'Concurrency: a plan hung at a step in one namespace' -Skip:([bool]$skip) {
    BeforeAll {
        $script:hungNs = New-TestNamespace 'qnt-conchung'
        $script:busyNs = New-TestNamespace 'qnt-concbusy'
        $script:hungInitial = Get-NamespaceSnapshot -Namespace $hungNs
        $script:busyInitial = Get-NamespaceSnapshot -Namespace $busyNs
        # Two own networks and two workers on the shared one, two entering each way (workers 0, 1, 3 and 4 of a round).
        function New-BusyPlan([int]$Round) { $plan = @(New-RoundPlan $Round); $plan[0], $plan[1], $plan[3], $plan[4] }
    }
    AfterAll {
        Reset-Namespace $hungNs
        Reset-Namespace $busyNs
        Remove-TestNamespace $hungNs
        Remove-TestNamespace $busyNs
    }

    It 'does not delay the commands of another namespace, and completes once released' {
        $runs = if ($stress) { 3 } else { 1 }
        $failures = [Collections.Generic.List[string]]::new()
        $times = [Collections.Generic.List[string]]::new()
        for ($round = 0; $round -lt $runs; $round++) {
            $pauseFile = Join-Path $scratch "pause-hung-$round"
            $hung = $null
            $problems = @(try {
                # The baseline: the same commands in the busy namespace with nothing hung, measured here and now.
                $null = Enable-QemuNat -Name shared -Subnet 198.18.0.0/24 -NetworkNamespace $busyNs -Confirm:$false
                $baseline = Invoke-Workers -Namespace $busyNs -Plan @(New-BusyPlan $round)
                $baseline.Problems
                Get-UncleanStep $baseline.Steps
                Get-StateMismatch -Namespace $busyNs -Expected (Get-ExpectedState $baseline.Steps)
                Reset-Namespace $busyNs

                # Enable-QemuNat in the other namespace stops at its first change, holding that namespace's lock.
                $hung = Start-ChildPwsh -Script "Enable-QemuNat -Name hung -Subnet 198.51.100.64/28 -NetworkNamespace $hungNs -Confirm:`$false" -Environment @{
                    QEMUNET_TEST_PAUSE = 'nat:1.1:before'; QEMUNET_TEST_PAUSE_FILE = $pauseFile
                }
                $deadline = [datetime]::UtcNow.AddSeconds(120)
                while (-not (Test-Path $pauseFile) -and -not $hung.HasExited -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 25 }
                if (-not (Test-Path $pauseFile)) { throw 'the Enable-QemuNat in the hung namespace never reached its first change' }

                $null = Enable-QemuNat -Name shared -Subnet 198.18.0.0/24 -NetworkNamespace $busyNs -Confirm:$false
                $beside = Invoke-Workers -Namespace $busyNs -Plan @(New-BusyPlan $round)
                $beside.Problems
                Get-UncleanStep $beside.Steps
                Get-StateMismatch -Namespace $busyNs -Expected (Get-ExpectedState $beside.Steps)
                $bound = 3 * $baseline.Seconds + 10
                $times.Add("$([math]::Round($beside.Seconds, 1)) s beside a hung plan, $([math]::Round($baseline.Seconds, 1)) s alone")
                if ($beside.Seconds -ge $bound) { "the busy namespace took $([math]::Round($beside.Seconds, 1)) s beside the hung plan, over $([math]::Round($bound, 1)) s (3 x $([math]::Round($baseline.Seconds, 1)) s alone + 10 s)" }
                if ($hung.HasExited) { 'the hung plan did not stay hung while the other namespace worked' }

                Remove-Item $pauseFile
                if (-not $hung.WaitForExit(120000)) { 'the released plan did not finish' }
                elseif ($hung.ExitCode -ne 0) { "the released plan failed (exit code $($hung.ExitCode))" }
                $net = Get-QemuNat -Name hung -NetworkNamespace $hungNs
                if ($net.State -ne 'Active' -or $net.Drift) { "the released network is $($net.State): $($net.Drift -join '; ')" }

                Reset-Namespace $hungNs
                Reset-Namespace $busyNs
                Compare-NamespaceSnapshot -Namespace $hungNs -Expected $hungInitial -Because "the hung namespace after round $round"
                Compare-NamespaceSnapshot -Namespace $busyNs -Expected $busyInitial -Because "the busy namespace after round $round"
            } catch { "$_" })
            if ($problems) {
                $failures.Add("round ${round}: $($problems -join ' | ')")
                Remove-Item $pauseFile -ErrorAction Ignore
                if ($hung -and -not $hung.WaitForExit(60000)) { & kill -9 $hung.Id 2>$null }
                Reset-Namespace $hungNs
                Reset-Namespace $busyNs
            }
        }
        Write-StressResult -Area Concurrency -Case 'a plan hung in one namespace, 4 processes in another' -Runs $runs -Failures $failures.Count -Detail ($times -join '; ')
        $failures | Should -BeNullOrEmpty
    }
}
