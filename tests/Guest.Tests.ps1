# End to end: real QEMU (TCG) boots the project's tiny guest through the module's pipeline, inside a network
# namespace the test makes and deletes; the guest reports its driver and DHCP lease, and the host fetches a
# page from the guest's HTTP server through a user-mode port forward.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest
    if ($skip) { Write-Warning "Skipping the guest tests: $skip" }
    $models = @(
        @{ Model = 'virtio'; Driver = 'virtio_net' }
        @{ Model = 'e1000'; Driver = 'e1000' }
        @{ Model = 'rtl8139'; Driver = '8139cp' }
        @{ Model = 'ne2k_pci'; Driver = 'ne2k-pci' }
        @{ Model = 'pcnet'; Driver = 'pcnet32' }
        @{ Model = 'i82557b'; Driver = 'e100' }
        @{ Model = 'i82559er'; Driver = 'e100' }
        @{ Model = 'e1000e'; Driver = 'e1000e' }
        @{ Model = 'vmxnet3'; Driver = 'vmxnet3' }
        @{ Model = 'tulip'; Driver = 'tulip' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'

    function Start-TestGuest {
        param([Parameter(ValueFromPipeline)]$InputObject, [string]$Name, [int]$Hold = 120, [string]$Extra = '')
        begin { $items = [System.Collections.Generic.List[object]]::new() }
        process { if ($InputObject) { $items.Add($InputObject) } }
        end {
            $items | Start-QemuVm -Name $Name -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=$Hold $Extra".Trim() `
                -Accelerator Tcg -Memory 256 -NetworkNamespace $ns
        }
    }

    function Get-GuestPage([int]$Port) {
        return Invoke-HttpGet -Namespace $ns -Address 127.0.0.1 -Port $Port
    }
}

Describe 'A guest on user-mode networking' -Skip:([bool]$skip) {
    BeforeAll {
        $script:ns = New-TestNamespace 'qnt-user'
        $script:state = New-TestStateDirectory
        $script:port = 18000
    }
    AfterAll {
        Remove-TestStateDirectory $state
        Remove-TestNamespace $ns
    }
    AfterEach {
        # Stopped VMs stay (Off) until removed: each case starts with none.
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    }

    It 'boots with a <Model> NIC: driver <Driver>, lease 10.0.2.15, HTTP through a host forward' -TestCases $models {
        $script:port++
        $vm = New-QemuUserNet -HostForward "tcp:127.0.0.1:$($script:port)-:80" | New-QemuNic -Model $Model | Start-TestGuest -Name "m-$Model"
        $vm | Should -BeOfType ([QemuNet.Core.Vm.QemuVm])
        $vm.State | Should -Be 'Running'
        $mac = $vm.Nics[0].MacAddress
        $mac | Should -Match '^52:54:00:'

        $lines = Wait-GuestConsole $vm
        $nic = $lines | Where-Object { $_ -like 'QEMUNET-NIC *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        @($nic).Count | Should -Be 1 -Because ($lines -join "`n")
        $nic.driver | Should -Be $Driver
        $nic.mac | Should -Be $mac
        $lease = $lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Be '10.0.2.15' -Because ($lines -join "`n")
        $lease.router | Should -Be '10.0.2.2'

        Get-GuestPage $script:port | Should -Match 'QEMUNET-HTTP-OK 10\.0\.2\.15'

        $vm | Stop-QemuVm -Confirm:$false
        Test-ProcessRunning $vm.Pid | Should -BeFalse
        (Get-QemuVm -Name "m-$Model").State | Should -Be 'Off'
        Remove-QemuVm -Name "m-$Model" -Confirm:$false
        Get-QemuVm | Should -BeNullOrEmpty
    }

    It 'uses the configured subnet and DHCP start' {
        $vm = New-QemuUserNet -Subnet 198.18.0.0/24 -DhcpStart 198.18.0.40 -HostForward '18500:80' | New-QemuNic -Model virtio | Start-TestGuest -Name subnet
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Be '198.18.0.40'
        $lease.router | Should -Be '198.18.0.2'
        Get-GuestPage 18500 | Should -Match 'QEMUNET-HTTP-OK 198\.18\.0\.40'
        Stop-QemuVm -Name subnet -Confirm:$false
    }

    It 'gives two NICs on two user networks their own leases and forwards' {
        $a = New-QemuUserNet -HostForward '18601:80' | New-QemuNic -Model e1000
        $b = New-QemuUserNet -Subnet 198.18.1.0/24 -HostForward '18602:80' | New-QemuNic -Model virtio
        $vm = $a, $b | Start-TestGuest -Name twonics
        $lines = Wait-GuestConsole $vm
        $nics = @($lines | Where-Object { $_ -like 'QEMUNET-NIC *' } | ForEach-Object { ConvertFrom-GuestLine $_ })
        $nics.mac | Sort-Object | Should -Be (@($vm.Nics.MacAddress) | Sort-Object)
        $nics.driver | Sort-Object | Should -Be @('e1000', 'virtio_net')
        $leases = @($lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ })
        $leases.ip | Sort-Object | Should -Be @('10.0.2.15', '198.18.1.15')
        Get-GuestPage 18601 | Should -Match 'QEMUNET-HTTP-OK'
        Get-GuestPage 18602 | Should -Match 'QEMUNET-HTTP-OK'
        Stop-QemuVm -Name twonics -Confirm:$false
    }

    It 'puts two NICs and a socket backend on one hub with a single user network (the seed''s vlan=0): both NICs lease from it' {
        # One backend shared by two NICs: QEMU's hub repeats every frame to all its ports, as the old vlan=n did.
        $user = New-QemuUserNet -Hub 0 -HostForward '18611:80'
        $a = $user | New-QemuNic -Model e1000
        $b = $user | New-QemuNic -Model virtio
        $socket = New-QemuSocketNet -Listen 127.0.0.1:18612 -Hub 0
        $vm = $a, $b | Start-QemuVm -Name hubbed -HubBackend $socket -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=120" `
            -Accelerator Tcg -Memory 256 -NetworkNamespace $ns
        @($vm.Arguments | Where-Object { $_ -like 'user,*' }).Count | Should -Be 1 -Because 'the shared backend is one netdev'
        $vm.Arguments | Should -Contain 'socket,id=hub0-net0,listen=127.0.0.1:18612'
        $lines = Wait-GuestConsole $vm
        $nics = @($lines | Where-Object { $_ -like 'QEMUNET-NIC *' } | ForEach-Object { ConvertFrom-GuestLine $_ })
        $nics.mac | Sort-Object | Should -Be (@($vm.Nics.MacAddress) | Sort-Object)
        $leases = @($lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ })
        $leases.ip | Sort-Object | Should -Be @('10.0.2.15', '10.0.2.16') -Because ($lines -join "`n")
        $leases.router | Sort-Object -Unique | Should -Be '10.0.2.2'

        # QEMU's own view: one hub, with the user network, the socket and both NICs on it.
        $network = Invoke-TestHmp $vm.QmpSocket 'info network'
        $hub = $network -split '(?m)^(?=hub )' | Where-Object { $_ -match '^hub 0' }
        $hub | Should -Match 'net0: index=0,type=user'
        $hub | Should -Match 'hub0-net0: index=0,type=socket'
        $hub | Should -Match 'nic0: index=0,type=nic,model=e1000'
        $hub | Should -Match 'nic1: index=0,type=nic,model=virtio-net-pci'
        Get-GuestPage 18611 | Should -Match 'QEMUNET-HTTP-OK'
        Stop-QemuVm -Name hubbed -Confirm:$false
    }

    It 'boots with QEMU''s default NIC when none is given, and Get-QemuVm/Stop-QemuVm find it by name' {
        $output = Start-QemuVm -Name plain -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=120" -Accelerator Tcg -NetworkNamespace $ns -Verbose 4>&1
        $vm = $output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '-daemonize' }).Count |
            Should -Be 1 -Because '-Verbose shows the QEMU command line once (it used to show it twice)'
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Be '10.0.2.15'
        $found = Get-QemuVm -Name plain
        $found.Pid | Should -Be $vm.Pid
        $found.State | Should -Be 'Running'
        $found.Arguments | Should -Be $vm.Arguments
        Stop-QemuVm -Name plain -Confirm:$false -PassThru | ForEach-Object State | Should -Be 'Off'
        Test-ProcessRunning $vm.Pid | Should -BeFalse
        # A stopped VM keeps its record and console log (it used to lose both) until Remove-QemuVm.
        (Get-QemuVm -Name plain).State | Should -Be 'Off'
        (Get-Content -Raw $vm.ConsoleLog) | Should -Match 'QEMUNET-LEASE'
        Remove-QemuVm -Name plain -Confirm:$false
        @(Get-ChildItem $state -File).Count | Should -Be 0
        Get-QemuVm | Should -BeNullOrEmpty
    }

    It 'waits with -WaitForConsole until the guest prints a line, and reports a timeout as an error' {
        $vm = New-QemuNic -Model virtio | Start-QemuVm -Name console -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=60" `
            -Accelerator Tcg -NetworkNamespace $ns -WaitForConsole '^QEMUNET-READY' -TimeoutSec 120
        (Get-Content -Raw $vm.ConsoleLog) | Should -Match '(?m)^QEMUNET-READY' -Because 'Start-QemuVm returned only once the line was there'
        $vm | Stop-QemuVm -Confirm:$false

        $err = $null
        $late = New-QemuNic -Model virtio | Start-QemuVm -Name late -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=60" `
            -Accelerator Tcg -NetworkNamespace $ns -WaitForConsole 'NEVER-PRINTED' -TimeoutSec 1 -ErrorVariable err -ErrorAction SilentlyContinue
        ($err[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmWaitTimeout'
        $err[0].ErrorDetails.RecommendedAction | Should -Match 'console\.log'
        $late.State | Should -Be 'Running' -Because 'a timeout leaves the guest running'
        $late | Stop-QemuVm -TurnOff -Confirm:$false
    }

    It 'waits with -Wait until the guest powers off' {
        $vm = New-QemuNic -Model e1000 | Start-QemuVm -Name waiter -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=1" `
            -Accelerator Tcg -NetworkNamespace $ns -Wait -PassThru
        $vm.State | Should -Be 'Off'
        Test-ProcessRunning $vm.Pid | Should -BeFalse
        (Get-Content -Raw $vm.ConsoleLog) | Should -Match 'QEMUNET-READY'
        Stop-QemuVm -Name waiter -Confirm:$false
    }

    It 'turns QEMU''s own error into an ErrorRecord and leaves nothing running' {
        # A kernel file QEMU cannot load passes every check of the module's and fails in QEMU itself.
        $err = Get-Failure { New-QemuNic | Start-QemuVm -Name clash -Kernel /etc/hostname -Accelerator Tcg -NetworkNamespace $ns }
        $err | Should -Not -BeNullOrEmpty
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'QemuStartFailed'
        $err.Exception.Message | Should -Match 'invalid kernel header' -Because "QEMU's own message is passed on"
        $err.TargetObject | Should -Be 'clash'
        Get-QemuVm | Should -BeNullOrEmpty
    }

    It 'refuses, already at -WhatIf, a host port something else listens on' {
        # A listener that is not QemuNet's holds the port: QEMU would fail with "Could not set up host forwarding rule".
        $holder = Start-Process -FilePath ip -ArgumentList @('netns', 'exec', $ns, 'busybox', 'nc', '-l', '-p', '18700') -PassThru
        try {
            Start-Sleep -Milliseconds 300
            $err = Get-Failure { New-QemuUserNet -HostForward '18700:80' | New-QemuNic | Start-QemuVm -Name clash -Kernel $kernel -Initrd $initrd -Accelerator Tcg -NetworkNamespace $ns -WhatIf }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmHostPortInUse'
            $err.TargetObject | Should -Be 18700
            Get-QemuVm | Should -BeNullOrEmpty
        } finally {
            & kill $holder.Id 2>$null
            $holder.WaitForExit()
        }
    }

    It 'refuses a second VM of the same name while the first runs' {
        $vm = Start-TestGuest -Name twin
        $err = $null
        try { Start-TestGuest -Name twin } catch { $err = $_ }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmAlreadyRunning'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        (Get-QemuVm -Name twin).Pid | Should -Be $vm.Pid
        # -WhatIf finds it too (it used to show a command line that would then fail).
        $err = Get-Failure { Start-QemuVm -Name twin -Kernel $kernel -Initrd $initrd -Accelerator Tcg -NetworkNamespace $ns -WhatIf }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmAlreadyRunning'
        Stop-QemuVm -Name twin -TurnOff -Confirm:$false
    }

    It 'lists an orphan QEMU a killed start left, refuses to start over it (its files stay), and stops it' {
        $vm = Start-TestGuest -Name orphan
        # What a start killed after QEMU daemonized leaves: QEMU running, its files, no record.
        Remove-Item (Join-Path $state 'orphan.vm.json')
        $err = Get-Failure { Start-TestGuest -Name orphan }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmAlreadyRunning'
        $err.Exception.Message | Should -Match "pid $($vm.Pid)"
        Test-Path (Join-Path $state 'orphan.pid') | Should -BeTrue -Because 'the running orphan keeps its files'
        Test-Path $vm.ConsoleLog | Should -BeTrue
        Test-ProcessRunning $vm.Pid | Should -BeTrue
        $orphan = Get-QemuVm -Name orphan
        $orphan.State | Should -Be 'Orphaned'
        $orphan.Pid | Should -Be $vm.Pid
        $orphan.NetworkNamespace | Should -Be $ns
        Stop-QemuVm -Name orphan -TurnOff -Confirm:$false
        Test-ProcessRunning $vm.Pid | Should -BeFalse
        @(Get-ChildItem (Join-Path $state 'orphan.*')).Count | Should -Be 0
        Get-QemuVm -Name orphan -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses, already at -WhatIf, a host port another running VM forwards' {
        $vm = New-QemuUserNet -HostForward 18091:80 | Start-TestGuest -Name porta
        $err = Get-Failure { New-QemuUserNet -HostForward 18091:8080 | Start-QemuVm -Name portb -Kernel $kernel -Initrd $initrd -Accelerator Tcg -NetworkNamespace $ns -WhatIf }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmHostPortInUse'
        $err.TargetObject | Should -Be 18091
        $vm | Stop-QemuVm -TurnOff -Confirm:$false
    }
}
