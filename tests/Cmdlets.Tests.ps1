# The cmdlets against the built module: pipeline composition, binding, -WhatIf and error records. No guest boots here.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $qemuSkip = Get-TestSkipReason -Need Qemu
    if ($qemuSkip) { Write-Warning "Skipping the tests that ask QEMU: $qemuSkip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Assert-Failure([scriptblock]$Script, [string]$ErrorId, [string]$Category, $Target) {
        $err = Get-Failure $Script
        $err | Should -Not -BeNullOrEmpty -Because "the command should fail with $ErrorId"
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -BeExactly $ErrorId
        $err.CategoryInfo.Category | Should -Be $Category
        if ($PSBoundParameters.ContainsKey('Target')) { $err.TargetObject | Should -Be $Target }
        return $err
    }
}

Describe 'New-QemuNic' {
    It 'defaults to a virtio NIC on no backend' {
        $nic = New-QemuNic
        $nic | Should -BeOfType ([QemuNet.Core.Model.QemuNic])
        $nic.Model | Should -Be 'virtio'
        $nic.Device | Should -Be 'virtio-net-pci'
        $nic.Backend | Should -BeNullOrEmpty
    }

    It 'maps the seed model <Model> to device <Device>' -TestCases @(
        @{ Model = 'virtio'; Device = 'virtio-net-pci' }
        @{ Model = 'e1000'; Device = 'e1000' }
        @{ Model = 'rtl8139'; Device = 'rtl8139' }
        @{ Model = 'ne2k_pci'; Device = 'ne2k_pci' }
        @{ Model = 'pcnet'; Device = 'pcnet' }
        @{ Model = 'i82551'; Device = 'i82551' }
        @{ Model = 'i82557b'; Device = 'i82557b' }
        @{ Model = 'i82559er'; Device = 'i82559er' }
        @{ Model = 'vmxnet3'; Device = 'vmxnet3' }
    ) {
        (New-QemuNic -Model $Model).Device | Should -Be $Device
    }

    It 'normalizes MAC and PCI address and keeps the other options' {
        $nic = New-QemuNic -Model virtio -MacAddress 52-54-00-AB-CD-EF -Id front -PciAddress 0x5 -Vectors 0 -BootIndex 1
        $nic.MacAddress | Should -Be '52:54:00:ab:cd:ef'
        $nic.PciAddress | Should -Be '05.0'
        $nic.Id | Should -Be 'front'
        $nic.Vectors | Should -Be 0
        $nic.BootIndex | Should -Be 1
    }

    It 'binds Model, MacAddress and PciAddress by property name' {
        $nics = @(
            [pscustomobject]@{ Model = 'e1000'; MacAddress = '52:54:00:00:00:0a'; PciAddress = '6' }
            [pscustomobject]@{ Model = 'rtl8139'; MacAddress = '52:54:00:00:00:0b' }
        ) | New-QemuNic
        $nics.Model | Should -Be @('e1000', 'rtl8139')
        $nics.MacAddress | Should -Be @('52:54:00:00:00:0a', '52:54:00:00:00:0b')
        $nics[0].PciAddress | Should -Be '06.0'
    }

    It 'takes a backend from the pipeline without taking its Id as the NIC id' {
        $nic = New-QemuUserNet -Id lan | New-QemuNic -Model e1000
        $nic.Backend.Id | Should -Be 'lan'
        $nic.Id | Should -BeNullOrEmpty
    }

    It 'rejects an unknown model' {
        Assert-Failure { New-QemuNic -Model e1001 } 'NicModelUnknown' 'InvalidArgument' 'e1001'
    }

    It 'rejects a malformed MAC <Mac>' -TestCases @(
        @{ Mac = '52:54:00:aa:bb' }, @{ Mac = '52:54:00:aa:bb:gg' }, @{ Mac = '00:00:00:00:00:00' }
    ) {
        Assert-Failure { New-QemuNic -MacAddress $Mac } 'NicMacInvalid' 'InvalidArgument' $Mac
    }

    It 'rejects a multicast MAC' {
        Assert-Failure { New-QemuNic -MacAddress 01:00:5e:00:00:01 } 'NicMacMulticast' 'InvalidArgument' '01:00:5e:00:00:01'
    }

    It 'rejects -Vectors on a non-virtio model' {
        Assert-Failure { New-QemuNic -Model e1000 -Vectors 2 } 'NicVectorsNotVirtio' 'InvalidArgument' 2
    }

    It 'rejects a malformed PCI address' {
        Assert-Failure { New-QemuNic -PciAddress '0x20' } 'NicPciAddressInvalid' 'InvalidArgument' '0x20'
        Assert-Failure { New-QemuNic -PciAddress '5,multifunction=on' } 'NicPciAddressInvalid' 'InvalidArgument' '5,multifunction=on'
    }
}

Describe 'New-QemuUserNet' {
    It 'takes forwards as QEMU strings, short strings and hashtables' {
        $net = New-QemuUserNet -HostForward 'tcp:127.0.0.1:8080-:80', 'udp/5353:53', @{ HostPort = 2222; GuestPort = 22; HostAddress = '0.0.0.0' }
        $net | Should -BeOfType ([QemuNet.Core.Model.QemuUserNet])
        @($net.HostForward).Count | Should -Be 3
        $net.HostForward[0].ToString() | Should -Be 'tcp:127.0.0.1:8080-:80'
        $net.HostForward[1].ToString() | Should -Be 'udp:127.0.0.1:5353-:53'
        $net.HostForward[2].ToString() | Should -Be 'tcp:0.0.0.0:2222-:22'
    }

    It 'keeps the DHCP and DNS settings and works out the guest address' {
        $net = New-QemuUserNet -Subnet 198.18.0.0/24 -DhcpStart 198.18.0.30 -Dns 198.18.0.3 -HostName web -DomainName example.test -Restrict
        $net.GuestAddress | Should -Be '198.18.0.30'
        $net.Gateway | Should -Be '198.18.0.2'
        $net.Restrict | Should -BeTrue
    }

    It 'rejects a host port out of range' {
        Assert-Failure { New-QemuUserNet -HostForward '70000:80' } 'UserNetHostPortInvalid' 'InvalidArgument' 70000
        Assert-Failure { New-QemuUserNet -HostForward @{ HostPort = 0; GuestPort = 80 } } 'UserNetHostPortInvalid' 'InvalidArgument' 0
    }

    It 'rejects a host port used twice' {
        Assert-Failure { New-QemuUserNet -HostForward '8080:80', 'tcp::8080-:81' } 'UserNetHostPortDuplicate' 'InvalidArgument' 8080
    }

    It 'rejects a forward it cannot read' {
        Assert-Failure { New-QemuUserNet -HostForward 'tcp:127.0.0.1:80-:80,hostfwd=tcp::22-:22' } 'UserNetHostForwardInvalid' 'InvalidArgument'
    }

    It 'rejects a DHCP start outside the subnet' {
        Assert-Failure { New-QemuUserNet -Subnet 198.18.0.0/24 -DhcpStart 203.0.113.5 } 'UserNetDhcpStartInvalid' 'InvalidArgument' '203.0.113.5'
    }
}

Describe 'Start-QemuVm -WhatIf' -Skip:([bool]$qemuSkip) {
    BeforeAll {
        $state = New-TestStateDirectory
    }
    AfterAll {
        Remove-TestStateDirectory $state
    }

    It 'composes New-QemuNic -Model virtio | Start-QemuVm and starts nothing' {
        $before = @(& pgrep -f "$state" 2>$null)
        $run = Invoke-ChildPwsh "New-QemuNic -Model virtio | Start-QemuVm -Name wi1 -Accelerator Tcg -WhatIf"
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match ([regex]::Escape("-netdev user,id=net0 -device virtio-net-pci,netdev=net0,id=nic0,mac=52:54:00:"))
        $run.Output | Should -Match "What if: \[VM 'wi1'\] Start QEMU"
        @(Get-ChildItem $state).Count | Should -Be 0
        @(& pgrep -f "$state" 2>$null).Count | Should -Be $before.Count
        Get-QemuVm | Should -BeNullOrEmpty
    }

    It 'composes New-QemuUserNet -HostForward | New-QemuNic -Model e1000 | Start-QemuVm' {
        $run = Invoke-ChildPwsh "New-QemuUserNet -HostForward 'tcp:127.0.0.1:18080-:80' | New-QemuNic -Model e1000 -MacAddress 52:54:00:12:00:01 | Start-QemuVm -Name wi2 -Accelerator Tcg -Memory 128MB -WhatIf"
        $run.Output | Should -Match ([regex]::Escape('-m 128 '))
        $run.Output | Should -Match ([regex]::Escape('-netdev user,id=net0,hostfwd=tcp:127.0.0.1:18080-:80 -device e1000,netdev=net0,id=nic0,mac=52:54:00:12:00:01'))
        @(Get-ChildItem $state).Count | Should -Be 0
    }

    It 'gives a piped backend a NIC, and several NICs in order' {
        $run = Invoke-ChildPwsh "@((New-QemuNic -Model rtl8139), (New-QemuUserNet -Restrict)) | Start-QemuVm -Name wi3 -Accelerator Tcg -WhatIf"
        $run.Output | Should -Match ([regex]::Escape('-device rtl8139,netdev=net0,id=nic0,'))
        $run.Output | Should -Match ([regex]::Escape('-netdev user,id=net1,restrict=on -device virtio-net-pci,netdev=net1,id=nic1,'))
    }

    It 'keeps the QMP socket path within the 107 bytes a Unix socket allows, or refuses with VmQmpPathTooLong' {
        $long = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-long-' + ('d' * 40))
        $name = 'v' + ('m' * 60)
        $run = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$long'; Start-QemuVm -Name $name -Accelerator Tcg -WhatIf"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $socket = [regex]::Match($run.Output, '-qmp unix:([^,]+),').Groups[1].Value
        $socket | Should -BeLike "$long/qmp-*.sock"
        [Text.Encoding]::UTF8.GetByteCount($socket) | Should -BeLessOrEqual 107
        $tooLong = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-long-' + ('d' * 90))
        $run = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$tooLong'; try { Start-QemuVm -Name w -Accelerator Tcg -WhatIf } catch { `$_.FullyQualifiedErrorId }"
        $run.Output | Should -Match 'VmQmpPathTooLong'
        Remove-Item $long, $tooLong -Recurse -Force -ErrorAction Ignore
    }

    It 'renders -nic none for -NoNetwork' {
        $run = Invoke-ChildPwsh "Start-QemuVm -Name wi4 -NoNetwork -Accelerator Tcg -WhatIf"
        $run.Output | Should -Match ([regex]::Escape('-nic none'))
        $run.Output | Should -Not -Match 'netdev'
    }
}

Describe 'Start-QemuVm errors' -Skip:([bool]$qemuSkip) {
    BeforeAll {
        $state = New-TestStateDirectory
    }
    AfterAll {
        Remove-TestStateDirectory $state
    }
    AfterEach {
        @(Get-ChildItem $state).Count | Should -Be 0 -Because 'a rejected start leaves nothing behind'
    }

    It 'decides -Vhost Auto from /dev/vhost-net and refuses -Vhost On without it' {
        $usable = $false
        try { $f = [IO.File]::Open('/dev/vhost-net', 'Open', 'ReadWrite'); $f.Dispose(); $usable = $true } catch { }
        $verbose = New-QemuTap -Script /bin/true | Start-QemuVm -Name vh1 -Accelerator Tcg -WhatIf -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        ($verbose -join "`n") | Should -Match "vhost-net $(if ($usable) { 'on' } else { 'off' })"
        if ($usable) {
            (New-QemuTap -Script /bin/true -Vhost On | Start-QemuVm -Name vh2 -Accelerator Tcg -WhatIf) | Should -BeNullOrEmpty
        }
        else {
            Assert-Failure { New-QemuTap -Script /bin/true -Vhost On | Start-QemuVm -Name vh2 -Accelerator Tcg -WhatIf } 'VhostUnavailable' 'ResourceUnavailable' '/dev/vhost-net'
        }
    }

    It 'refuses to launch an -Fd backend, but renders it for -WhatIf' {
        Assert-Failure { New-QemuTap -Fd 5 | Start-QemuVm -Name fd1 -Accelerator Tcg } 'TapFdNotSupported' 'InvalidOperation' 5
        $run = Invoke-ChildPwsh "New-QemuTap -Fd 5 | Start-QemuVm -Name fd2 -Accelerator Tcg -WhatIf"
        $run.Output | Should -Match 'tap,id=net0,fd=5'
    }

    It 'rejects two TAPs with one -IfName, already at -WhatIf' {
        $a = New-QemuTap -IfName tapdup -Script /bin/true
        $b = New-QemuTap -IfName tapdup -Script /bin/true
        Assert-Failure { $a, $b | Start-QemuVm -Name duptap -Accelerator Tcg -WhatIf } 'TapIfNameDuplicate' 'InvalidArgument' 'tapdup'
    }

    It 'rejects a duplicate MAC' {
        $a = New-QemuNic -MacAddress 52:54:00:00:00:01
        $b = New-QemuNic -Model e1000 -MacAddress 52-54-00-00-00-01
        Assert-Failure { $a, $b | Start-QemuVm -Name dup -Accelerator Tcg } 'NicMacDuplicate' 'InvalidArgument' '52:54:00:00:00:01'
    }

    It 'rejects a host port forwarded by two user networks' {
        $a = New-QemuUserNet -HostForward '8080:80' | New-QemuNic
        $b = New-QemuUserNet -HostForward '8080:8080' | New-QemuNic
        Assert-Failure { $a, $b | Start-QemuVm -Name dupport -Accelerator Tcg } 'UserNetHostPortDuplicate' 'InvalidArgument' 8080
    }

    It 'reports a missing QEMU binary' {
        Assert-Failure { New-QemuNic | Start-QemuVm -QemuPath /nonexistent/qemu-system-x86_64 -Accelerator Tcg } 'QemuNotFound' 'ObjectNotFound' '/nonexistent/qemu-system-x86_64'
        $path = $env:PATH
        try {
            $env:PATH = '/nonexistent'
            Assert-Failure { Start-QemuVm -Accelerator Tcg } 'QemuNotFound' 'ObjectNotFound' 'qemu-system-x86_64'
        }
        finally { $env:PATH = $path }
    }

    It 'reports a missing kernel file' {
        Assert-Failure { Start-QemuVm -Kernel /nonexistent/vmlinuz -Accelerator Tcg } 'VmFileNotFound' 'ObjectNotFound' '/nonexistent/vmlinuz'
    }

    It 'rejects -NoNetwork together with NICs' {
        Assert-Failure { New-QemuNic | Start-QemuVm -NoNetwork -Accelerator Tcg } 'VmNoNetworkWithNic' 'InvalidArgument'
    }

    It 'rejects a VM name that cannot be a file name' {
        Assert-Failure { Start-QemuVm -Name '../../etc/x' -Accelerator Tcg } 'VmNameInvalid' 'InvalidArgument' '../../etc/x'
    }

    It 'rejects a namespace that does not exist' {
        Assert-Failure { Start-QemuVm -NetworkNamespace 'qemunet-no-such-ns' -Accelerator Tcg } 'NetworkNamespaceNotFound' 'ObjectNotFound' 'qemunet-no-such-ns'
    }
}

Describe 'Get-QemuNicModel' -Skip:([bool]$qemuSkip) {
    It 'lists the models of the installed QEMU, with the seed name virtio for virtio-net-pci' {
        $models = Get-QemuNicModel
        $models.Name | Should -Contain 'virtio'
        $models.Name | Should -Contain 'e1000'
        $models.Name | Should -Contain 'rtl8139'
        ($models | Where-Object Name -eq 'virtio').Device | Should -Be 'virtio-net-pci'
        ($models | Where-Object Name -eq 'virtio').IsVirtio | Should -BeTrue
        ($models | Where-Object Name -eq 'e1000').IsVirtio | Should -BeFalse
    }

    It 'filters by name with wildcards' {
        $models = Get-QemuNicModel -Name 'i8255*'
        $models | Should -Not -BeNullOrEmpty
        $models.Name | ForEach-Object { $_ | Should -BeLike 'i8255*' }
    }

    It 'completes -Model from the installed QEMU' {
        $completion = TabExpansion2 -inputScript 'New-QemuNic -Model vmx' -cursorColumn 'New-QemuNic -Model vmx'.Length
        $completion.CompletionMatches.CompletionText | Should -Contain 'vmxnet3'
    }

    It 'reports a missing QEMU binary' {
        Assert-Failure { Get-QemuNicModel -QemuPath /nonexistent/qemu } 'QemuNotFound' 'ObjectNotFound' '/nonexistent/qemu'
    }
}
