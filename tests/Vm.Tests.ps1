# Guests inside the host-change engine, on real parts in namespaces the test makes: Start-QemuVm and Stop-QemuVm
# killed (-9) at every action, a QEMU a killed start left running, the pre-checks, a graceful stop through the
# guest's ACPI power button, and the Off → Start → Remove lifecycle. Every case ends with the namespace, the QEMU
# processes and the books as they were.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the VM engine tests: $skip" }
    # The Test task tries a few points of each plan; QEMUNET_STRESS=1 (build.ps1 -Task Stress) every action at three timings (before it runs, after it ran, after the journal says so).
    $script:fullMatrix = $env:QEMUNET_STRESS -eq '1'
    # '@GUEST' stands for the kernel, initrd and append of the test guest; '@NS' for the namespace, unconfirmed;
    # '@NSNAME' for the namespace's name alone.
    $startOnBridge = "New-QemuTap -Bridge br0 -IfName qtcrash0 -NetworkNamespace @NSNAME | Start-QemuVm -Name crash @GUEST -Confirm:`$false"
    $startOnNat = 'Start-QemuVm -Network lab -Name crash @GUEST @NS'
    # Hot-plug needs a guest that has booted: one that is still booting ignores an unplug.
    $startBooted = 'New-QemuNic | Start-QemuVm -Name crash @GUEST @NS; $null = Wait-GuestConsole (Get-QemuVm -Name crash)'
    $hotPlug = 'Get-QemuNat -Name lab -NetworkNamespace @NSNAME | New-QemuNic | Add-QemuVmNic -VmName crash -Confirm:$false'
    $touch = 'Set-QemuVmNic -VmName crash -Id nic0 -LinkState Up -Confirm:$false'
    $script:vmCases = @(
        # A killed start is undone by the next changing cmdlet (here Remove -Force); the start then runs whole.
        @{ Name = 'start, TAP on a bridge'; Setup = @(); Command = $startOnBridge; Converge = 'Remove-QemuVm -Name crash -Force -Confirm:$false'; Expect = 'Base'; Inverse = 'Remove-QemuVm -Name crash -Force -Confirm:$false' }
        @{ Name = 'start, TAP on a NAT network'; Setup = @(); Command = $startOnNat; Converge = 'Remove-QemuVm -Name crash -Force -Confirm:$false'; Expect = 'Base'; Inverse = 'Remove-QemuVm -Name crash -Force -Confirm:$false' }
        # A killed stop is finished by the next stop; Start-QemuVm -Name starts the stopped VM again from its record.
        @{ Name = 'stop'; Setup = @($startOnBridge); Command = 'Stop-QemuVm -Name crash -TurnOff -Confirm:$false'; Converge = 'Stop-QemuVm -Name crash -TurnOff -Confirm:$false'; Expect = 'After'; Inverse = 'Start-QemuVm -Name crash -Confirm:$false' }
        # A killed hot-plug or unplug on a running guest is undone by the VM's next command (here Set-QemuVmNic), the
        # guest still running; a hot-plugged TAP is the module's, and goes with the NIC.
        @{ Name = 'hot-plug, TAP on a NAT network'; Setup = @($startBooted); Command = $hotPlug; Converge = $touch; Expect = 'Base'; Inverse = 'Remove-QemuVmNic -VmName crash -Id nic1 -Confirm:$false' }
        @{ Name = 'unplug, TAP on a NAT network'; Setup = @($startBooted, $hotPlug); Command = 'Remove-QemuVmNic -VmName crash -Id nic1 -Confirm:$false'; Converge = $touch; Expect = 'Base'; Inverse = $hotPlug }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-HostSnapshot {
        # What a VM plan may touch, as text that does not change from one correct run to the next (no pids or MACs).
        [pscustomobject]@{
            Links = (& ip -n $hostNs -br link | ForEach-Object { ($_ -split '\s+')[0] } | Sort-Object | Out-String)
            Ports = (& ip -n $hostNs -br link show master br0 | ForEach-Object { ($_ -split '\s+')[0] } | Out-String) +
                    (& ip -n $hostNs -br link show master qn-lab | ForEach-Object { ($_ -split '\s+')[0] } | Out-String)
            Qemu  = @(& pgrep -f "qemu-system-x86_64 .*$([regex]::Escape($state))/" 2>$null).Count
            Files = (@(Get-ChildItem $state -Recurse -File -ErrorAction Ignore |
                      Where-Object { $_.Name -ne '.lock' -and $_.FullName -notlike "*/nat/*" } |
                      ForEach-Object { $_.FullName.Substring($state.Length) } | Sort-Object) -join "`n")
        }
    }

    function Compare-HostSnapshot($Expected, [string]$Because) {
        $now = Get-HostSnapshot
        foreach ($p in 'Links', 'Ports', 'Qemu', 'Files') {
            $now.$p | Should -Be $Expected.$p -Because "$p must match ($Because)"
        }
    }

    function Expand-Command([string]$Command) {
        $Command.Replace('@NSNAME', $hostNs).Replace('@NS', "-NetworkNamespace $hostNs -Confirm:`$false").Replace('@GUEST',
            "-Kernel '$kernel' -Initrd '$initrd' -Accelerator Tcg -Append '$GuestAppend qn_hold=600'")
    }

    function Invoke-Quiet([string]$Command) { $null = & ([scriptblock]::Create((Expand-Command $Command))) }

    function Invoke-KilledRun([string]$Command, [string]$Point) {
        Invoke-KilledCommand -Script (Expand-Command $Command) -Point $Point -StateDirectory $state -Scratch $scratch
    }

    function Reset-VmHost {
        # Whatever a failed point left: gone, so the next point starts from the base.
        Get-QemuVm -ErrorAction Ignore | Remove-QemuVm -Force -Confirm:$false -ErrorAction Ignore
        & pkill -9 -f "qemu-system-x86_64 .*$([regex]::Escape($state))/" 2>$null
        Get-ChildItem $state -Filter '*.journal' -Recurse -ErrorAction Ignore | Where-Object FullName -like '*/vm/*' | Remove-Item
        & ip -n $hostNs link del qtcrash0 2>$null
    }

    $script:startOnBridgeForTest = "New-QemuTap -Bridge br0 -IfName qtcrash0 -NetworkNamespace @NSNAME | Start-QemuVm -Name crash @GUEST -Confirm:`$false"
    $script:startOnNatForTest = 'Start-QemuVm -Network lab -Name crash @GUEST @NS'

    $script:skipRun = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skipRun) { return }
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'
    $script:state = New-TestStateDirectory
    $script:scratch = (New-Item -ItemType Directory -Path "$state-scratch").FullName
    $script:hostNs = New-TestNamespace 'qnt-vm'
    & ip -n $hostNs link add br0 type bridge
    & ip -n $hostNs link set br0 up
    $null = Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -NetworkNamespace $hostNs -Confirm:$false
    $script:initial = Get-HostSnapshot
}

AfterAll {
    if ($skipRun) { return }
    Reset-VmHost
    Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Force -Confirm:$false -ErrorAction Continue
    Remove-TestStateDirectory $state
    Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    Remove-TestNamespace $hostNs
}

Describe 'Crash: Start-QemuVm and Stop-QemuVm killed at a host action' -Skip:([bool]$skip) {
    AfterEach { Reset-VmHost }

    It '<Name>: Get-QemuVm reports it and changes nothing, the next command converges, at every point tried' -TestCases $vmCases {
        foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
        $base = Get-HostSnapshot
        $changes = @(Get-PlanTrace -Script (Expand-Command $Command) -Kind vm -Scratch $scratch)
        $changes.Count | Should -BeGreaterThan 2
        $after = Get-HostSnapshot
        Invoke-Quiet $Inverse
        Compare-HostSnapshot $base 'the inverse of a clean run'
        $expected = if ($Expect -eq 'Base') { $base } else { $after }
        $points = Get-CrashPoints -Kind vm -Changes $changes -Full:$fullMatrix
        $failures = foreach ($point in $points) {
            try {
                Invoke-KilledRun $Command $point | Should -BeTrue -Because "the run must reach $point"
                $left = Get-HostSnapshot
                $seen = Get-QemuVm -Name crash
                $seen.State | Should -Be 'Incomplete' -Because "a command killed at $point is reported"
                $seen.Problem | Should -Match 'interrupted'
                Compare-HostSnapshot $left "Get-QemuVm after a kill at $point changes nothing"
                Invoke-Quiet $Converge
                Compare-HostSnapshot $expected "'$Converge' after a kill at $point"
                @(Get-QemuVm -ErrorAction Ignore | Where-Object State -eq 'Incomplete') | Should -BeNullOrEmpty
                if ($Expect -eq 'Base') { Invoke-Quiet $Command; Compare-HostSnapshot $after "the command again after a kill at $point" }
                Invoke-Quiet $Inverse
                Compare-HostSnapshot $base "the inverse after a kill at $point"
            } catch {
                "${point}: $_"
                Reset-VmHost
                foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
            }
        }
        Write-StressResult -Area Crash -Case $Name -Runs @($points).Count -Failures @($failures).Count -Detail "$($changes.Count) changes in the plan"
        $failures | Should -BeNullOrEmpty
        Reset-VmHost
        Compare-HostSnapshot $initial 'after the case'
    }

    It 'a start killed after its TAP was made: Disable-QemuNat -Force is not blocked, and the next start deletes the TAP it left' {
        Invoke-KilledRun $startOnNatForTest 'vm:2.3:after' | Should -BeTrue
        $tap = (Get-QemuVm -Name crash).Nics[0].Backend.IfName
        (& ip -n $hostNs -br link show master qn-lab | Out-String) | Should -Match $tap
        # The TAP used to stay on the bridge for good, adopted by the next start as someone else's.
        Invoke-Quiet $startOnNatForTest
        (Get-QemuVm -Name crash).CreatedTaps | Should -Be @($tap)
        Invoke-Quiet 'Remove-QemuVm -Name crash -Force -Confirm:$false'
        Compare-HostSnapshot $initial 'the TAP a killed start left is gone with its VM'

        Invoke-KilledRun $startOnNatForTest 'vm:2.4:after' | Should -BeTrue
        Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Force -Confirm:$false
        (& ip -n $hostNs -br link | Out-String) | Should -Not -Match 'qn-lab'
        Invoke-Quiet 'Remove-QemuVm -Name crash -Force -Confirm:$false'
        (& ip -n $hostNs -br link | Out-String) | Should -Not -Match $tap
        $null = Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -NetworkNamespace $hostNs -Confirm:$false
        Compare-HostSnapshot $initial 'after the NAT network is back'
    }

    It 'a QEMU a killed start left running is listed, a start of its name is refused (its files stay), and Stop-QemuVm stops it' {
        Invoke-KilledRun $startOnBridgeForTest 'vm:3.1:after' | Should -BeTrue
        $left = Get-HostSnapshot
        $left.Qemu | Should -Be 1
        $vm = Get-QemuVm -Name crash
        $vm.State | Should -Be 'Incomplete'
        $vm.Pid | Should -BeGreaterThan 0
        Test-ProcessRunning $vm.Pid | Should -BeTrue
        $err = Get-Failure { Invoke-Quiet $startOnBridgeForTest }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmAlreadyRunning'
        Compare-HostSnapshot $left 'a refused start keeps the running QEMU and its files'
        Stop-QemuVm -Name crash -Confirm:$false
        Test-ProcessRunning $vm.Pid | Should -BeFalse
        Compare-HostSnapshot $initial 'the stop undid the killed start: QEMU, TAP and record are gone'
    }
}

Describe 'A VM plan hung in one namespace' -Skip:([bool]$skip) {
    It 'holds up no start or stop of another VM in another namespace' {
        # Found by the concurrency stress: every VM plan took one lock for the whole state directory, so a stop
        # waiting for a guest (or any hung step) held up every other VM's start and stop, up to HostLockTimeout.
        $otherNs = New-TestNamespace 'qnt-vmb'
        $pauseFile = Join-Path $scratch 'pause-hung-vm'
        try {
            $hung = Start-ChildPwsh -Script (Expand-Command 'Start-QemuVm -Name hung @GUEST @NS') -Environment @{
                QEMUNET_STATE_DIR = $state; QEMUNET_DNSMASQ_DIR = "$state-dnsmasq"; QEMUNET_TEST_PAUSE = 'vm:1.1:before'; QEMUNET_TEST_PAUSE_FILE = $pauseFile
            }
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path $pauseFile) -and -not $hung.HasExited -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 25 }
            Test-Path $pauseFile | Should -BeTrue -Because 'the start of hung is paused at its first action, holding its lock'
            $other = Start-QemuVm -Name other -NetworkNamespace $otherNs -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=600" -Confirm:$false -PassThru
            $other.State | Should -Be 'Running'
            Stop-QemuVm -Name other -TurnOff -Confirm:$false
            Remove-QemuVm -Name other -Confirm:$false
            $hung.HasExited | Should -BeFalse -Because 'the other VM went through while hung was still paused'
            Remove-Item $pauseFile
            $hung.WaitForExit(60000) | Should -BeTrue
            $hung.ExitCode | Should -Be 0 -Because "the hung start finishes once released: $($hung.Errors.Result)"
            (Get-QemuVm -Name hung).State | Should -Be 'Running'
        }
        finally {
            Remove-Item $pauseFile -ErrorAction Ignore
            Reset-VmHost
            Remove-TestNamespace $otherNs
        }
        Compare-HostSnapshot $initial 'after the case'
    }
}

Describe 'Faults: a failure injected at every action of Start-QemuVm and Stop-QemuVm' -Skip:([bool]$skip) {
    AfterEach { Reset-VmHost }

    It '<Name>: the error names the step, and the host is as it was' -TestCases $vmCases {
        foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
        $base = Get-HostSnapshot
        $changes = @(Get-PlanTrace -Script (Expand-Command $Command) -Kind vm -Scratch $scratch)
        $changes.Count | Should -BeGreaterThan 2
        $after = Get-HostSnapshot
        Invoke-Quiet $Inverse
        Compare-HostSnapshot $base 'the inverse of a clean run'
        $points = @(Get-FaultPoints -Changes $changes -Full:$fullMatrix)
        $failures = foreach ($change in $points) {
            try {
                $env:QEMUNET_TEST_FAULT = "vm:$change"
                try { $err = Get-Failure { Invoke-Quiet $Command } } finally { Remove-Item Env:QEMUNET_TEST_FAULT }
                ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HostStepFailed' -Because "a fault at $change"
                $err.Exception.Message | Should -Match "^Step '.+' on .+ failed" -Because "a fault at $change"
                if ($Expect -eq 'Base') {
                    Compare-HostSnapshot $base "a fault at $change is rolled back"
                } else {
                    # A stopped guest cannot be un-stopped: a stop goes forward only, and the next stop finishes it.
                    Invoke-Quiet $Converge
                    Compare-HostSnapshot $after "'$Converge' after a fault at $change"
                    Invoke-Quiet $Inverse
                    Compare-HostSnapshot $base "the inverse after a fault at $change"
                }
                @(Get-QemuVm -ErrorAction Ignore | Where-Object State -eq 'Incomplete') | Should -BeNullOrEmpty -Because "nothing is left half-done after a fault at $change"
            } catch {
                "${change}: $_"
                Reset-VmHost
                foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
            }
        }
        Write-StressResult -Area Faults -Case "VM $Name" -Runs $points.Count -Failures @($failures).Count -Detail "$($changes.Count) changes in the plan"
        $failures | Should -BeNullOrEmpty
        Reset-VmHost
        Compare-HostSnapshot $initial 'after the case'
    }
}

Describe 'A guest''s lifecycle' -Skip:([bool]$skip) {
    AfterEach { Reset-VmHost }

    It 'Stop-QemuVm presses the power button and the guest powers itself off; the VM stays Off with its console until Remove-QemuVm' {
        $vm = New-QemuTap -Bridge br0 -NetworkNamespace $hostNs | Start-QemuVm -Name calm -Kernel $kernel -Initrd $initrd -Accelerator Tcg `
            -Append "$GuestAppend qn_hold=600" -WaitForConsole '^QEMUNET-READY' -TimeoutSec 120
        $tap = $vm.Nics[0].Backend.IfName
        $out = Stop-QemuVm -Name calm -TimeoutSec 60 -Confirm:$false -Verbose -PassThru 4>&1
        ($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'powered off after the ACPI power button'
        (Get-Content -Raw $vm.ConsoleLog) | Should -Match 'QEMUNET-POWERBUTTON' -Because 'the guest saw the button and shut down itself'
        Test-ProcessRunning $vm.Pid | Should -BeFalse
        $off = Get-QemuVm -Name calm
        $off.State | Should -Be 'Off'
        $off.StopTime | Should -Not -BeNullOrEmpty
        Test-Path $off.ConsoleLog | Should -BeTrue
        (& ip -n $hostNs -br link | Out-String) | Should -Not -Match $tap -Because 'the TAP went with the guest'

        # Started again from its record: the same NIC, MAC and TAP.
        $again = Start-QemuVm -Name calm -Confirm:$false
        $again.State | Should -Be 'Running'
        $again.Nics[0].MacAddress | Should -Be $vm.Nics[0].MacAddress
        $again.Arguments | Should -Be $vm.Arguments
        (& ip -n $hostNs -br link show master br0 | Out-String) | Should -Match $tap

        $err = Get-Failure { Remove-QemuVm -Name calm -Confirm:$false -ErrorAction Stop }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmRunning'
        $err.CategoryInfo.Category | Should -Be 'ResourceBusy'
        Test-ProcessRunning $again.Pid | Should -BeTrue -Because 'a refused removal changes nothing'

        $out = Stop-QemuVm -Name calm -TurnOff -Confirm:$false -Verbose 4>&1
        ($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'turned off \(QMP quit\)'
        Remove-QemuVm -Name calm -Confirm:$false
        Get-QemuVm | Should -BeNullOrEmpty
        Compare-HostSnapshot $initial 'after Remove-QemuVm'
    }

    It 'Start-QemuVm -WhatIf lists the record, the TAP steps and the argv, for a multiqueue TAP and for a NAT network, and changes nothing' {
        $multi = Expand-Command "New-QemuTap -Bridge br0 -IfName qtwhatif -Queues 2 -NetworkNamespace @NSNAME | New-QemuNic -Model virtio | Start-QemuVm -Name wi @GUEST -WhatIf"
        $run = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$state'; $multi"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $lines = $run.Output -split "`n" | ForEach-Object TrimEnd
        $lines | Should -Contain "What if: [VM 'wi'] Write the VM record"
        $lines | Should -Contain 'What if: [qtwhatif] Create TAP qtwhatif on bridge br0'
        $lines | Should -Contain '  + ip tuntap add dev qtwhatif mode tap user 0 multi_queue'
        $lines | Should -Contain "    undo: ip link del qtwhatif (unless its alias is not 'qemunet:vm:wi')"
        $lines | Should -Contain '  + ip link set dev qtwhatif master br0'
        $lines | Should -Contain "What if: [VM 'wi'] Start QEMU"
        $run.Output | Should -Match 'ifname=qtwhatif,script=no,downscript=no,vhost=(on|off),queues=2 -device virtio-net-pci,netdev=net0,id=nic0,mac=52:54:00:[0-9a-f:]{8},mq=on,vectors=6'

        $nat = Expand-Command "Start-QemuVm -Network lab -Name winat @GUEST -NetworkNamespace @NSNAME -WhatIf"
        $run = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$state'; $nat"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'Create TAP qt[0-9a-f]{8} on bridge qn-lab'
        Compare-HostSnapshot $initial '-WhatIf changes nothing'
    }

    It 'refuses each pre-check with its own id and starts nothing: <Id>' -TestCases @(
        @{ Id = 'VmAlreadyRunning'; Script = { Start-QemuVm -Name busy @guest -NetworkNamespace $hostNs -Confirm:$false } }
        @{ Id = 'VmHostPortInUse'; Script = { New-QemuUserNet -HostForward 18433:80 | Start-QemuVm -Name other @guest -NetworkNamespace $hostNs -Confirm:$false } }
        @{ Id = 'TapIfNameDuplicate'; Script = { (New-QemuTap -Bridge br0 -IfName qtdup -NetworkNamespace $hostNs), (New-QemuTap -Bridge br0 -IfName qtdup -NetworkNamespace $hostNs) | Start-QemuVm -Name dup @guest -NetworkNamespace $hostNs -Confirm:$false } }
        @{ Id = 'TapNameInUse'; Script = { New-QemuTap -Bridge br0 -IfName $busyTap -NetworkNamespace $hostNs | Start-QemuVm -Name thief @guest -NetworkNamespace $hostNs -Confirm:$false } }
    ) {
        $guest = @{ Kernel = $kernel; Initrd = $initrd; Accelerator = 'Tcg'; Append = "$GuestAppend qn_hold=600" }
        $busy = New-QemuUserNet -HostForward 18433:80 | New-QemuNic | Start-QemuVm -Name busy @guest -NetworkNamespace $hostNs -Confirm:$false
        $busyTap = 'qtbusy0'
        $holder = New-QemuTap -Bridge br0 -IfName $busyTap -NetworkNamespace $hostNs | Start-QemuVm -Name holder @guest -NetworkNamespace $hostNs -Confirm:$false
        $before = Get-HostSnapshot
        $err = Get-Failure $Script
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $Id
        Compare-HostSnapshot $before 'a refused start changes nothing'
        @(Get-QemuVm).Name | Should -Be @('busy', 'holder')
        $null = $busy, $holder
    }
}

Describe 'Only QemuNet''s QEMU counts as a VM' -Skip:([bool]$skip) {
    It 'does not list, stop or remove a process whose command line names a pid file of the state directory' {
        # The bridge tests' LAN dnsmasq ran with --pid-file in the state directory and was listed as an orphan VM,
        # then killed by the cleanup that stops every VM.
        $pidFile = Join-Path $state 'lookalike.pid'
        $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        foreach ($a in '-c', 'echo $$ > "$0"; exec tail -f "$0"', $pidFile) { $psi.ArgumentList.Add($a) }
        $other = [Diagnostics.Process]::Start($psi)
        try {
            $deadline = [datetime]::UtcNow.AddSeconds(10)
            while (-not ((Test-Path $pidFile) -and (Get-Content $pidFile -Raw) -match '\d')) { if ([datetime]::UtcNow -gt $deadline) { throw 'no pid file' }; Start-Sleep -Milliseconds 50 }
            Get-Content "/proc/$($other.Id)/cmdline" -Raw | Should -Match ([regex]::Escape($pidFile)) -Because 'the process names the pid file'
            Get-QemuVm -Name lookalike -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err = Get-Failure { Stop-QemuVm -Name lookalike -TurnOff -Confirm:$false -ErrorAction Stop }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmNotFound'
            Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
            Test-ProcessRunning $other.Id | Should -BeTrue -Because 'a process that is not the module''s QEMU is never signalled'
            Test-Path $pidFile | Should -BeTrue
        } finally {
            Stop-Process -Id $other.Id -ErrorAction Ignore
            Remove-Item $pidFile -ErrorAction Ignore
        }
    }
}
