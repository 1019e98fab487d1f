# Command lines in, command lines out: ConvertFrom-QemuCommandLine reads the seed's classic -net lines (and today's
# forms), and the parsed objects started on the installed QEMU must be what QEMU itself then reports (info network,
# query-pci): the same NICs, models, MACs, PCI slots, backends and hub wiring. ConvertTo-QemuCommandLine writes them
# back, in today's syntax or the seed's.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest
    if ($skip) { Write-Warning "Skipping the command-line tests that start QEMU: $skip" }
    $corpus = (Import-PowerShellDataFile (Join-Path $PSScriptRoot 'data/CommandLines.psd1')).Lines
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'

    # QEMU's `info network`, as objects: each NIC with its model, MAC and the backends it hears (directly, or on its hub).
    function ConvertFrom-InfoNetwork([string]$Text) {
        $entries = [System.Collections.Generic.List[object]]::new()
        $hub = $null; $owner = $null
        foreach ($line in $Text -split "`r?`n") {
            if ($line -match '^hub (\d+)$') { $hub = [int]$Matches[1]; $owner = $null; continue }
            if ($line -match '^(?<indent> \\ )?((?<portid>[^: ]+): )?(?<name>[^: ]+): index=\d+,type=(?<type>[^,]+),?(?<rest>.*)$') {
                # Taken before anything else can overwrite $Matches.
                # Strict mode: a group that did not take part is no key at all, so index rather than dot.
                $indented = [bool]$Matches['indent']
                $portId = $Matches['portid']
                $name = $Matches['name']
                $type = $Matches['type']
                $props = @{}
                foreach ($kv in ($Matches['rest'] -split ',')) { if ($kv.Contains('=')) { $k, $v = $kv -split '=', 2; $props[$k] = $v } }
                $entry = [pscustomobject]@{
                    Name = $name; Type = $type; Model = $props['model']; Mac = $props['macaddr']
                    Hub = if ($indented -and $portId -and $null -ne $hub) { $hub } else { $null }
                    Peer = $null
                }
                if (-not $indented) { $hub = $null; $owner = $entry }
                elseif ($null -eq $entry.Hub -and $owner) { $owner.Peer = $entry.Name; $entry.Peer = $owner.Name }
                $entries.Add($entry)
            }
        }
        return $entries
    }

    function Get-QemuPciSlots([string]$QmpSocket) {
        $slots = @{}
        foreach ($bus in Invoke-TestQmp $QmpSocket 'query-pci') {
            foreach ($device in $bus.devices) { if ($device.qdev_id) { $slots[$device.qdev_id] = '{0:x2}.{1:x}' -f $device.slot, $device.function } }
        }
        return $slots
    }

    # What the parsed objects say QEMU must show, checked against what it shows.
    function Assert-QemuMatchesSpec($Vm) {
        $network = ConvertFrom-InfoNetwork (Invoke-TestHmp $Vm.QmpSocket 'info network')
        $slots = Get-QemuPciSlots $Vm.QmpSocket
        $because = ($network | Format-Table -AutoSize | Out-String)
        # A multiqueue NIC is listed once per queue (index=0, 1…): count NICs by name.
        @($network | Where-Object Type -eq 'nic' | Select-Object -ExpandProperty Name -Unique).Count | Should -Be $Vm.Nics.Count -Because $because
        foreach ($nic in $Vm.Nics) {
            $seen = $network | Where-Object { $_.Type -eq 'nic' -and $_.Name -eq $nic.Id } | Select-Object -First 1
            $seen | Should -Not -BeNullOrEmpty -Because "NIC $($nic.Id) is in the spec`n$because"
            $seen.Model | Should -Be $nic.Device
            $seen.Mac | Should -Be $nic.MacAddress
            if ($nic.PciAddress) { $slots[$nic.Id] | Should -Be $nic.PciAddress }
            $backend = $nic.Backend
            $kind = if ($backend) { $backend.Kind.ToString().ToLowerInvariant() } else { 'user' }
            if ($backend -and $null -ne $backend.Hub) {
                $seen.Hub | Should -Be $backend.Hub -Because "NIC $($nic.Id) sits on hub $($backend.Hub)"
                $onHub = $network | Where-Object { $_.Hub -eq $backend.Hub -and $_.Name -eq $backend.Id }
                $onHub.Type | Should -Be $kind -Because "backend $($backend.Id) is on hub $($backend.Hub)`n$because"
            }
            else {
                $seen.Hub | Should -BeNullOrEmpty
                @($network | Where-Object Name -eq $seen.Peer)[0].Type | Should -Be $kind -Because "NIC $($nic.Id) has a $kind backend`n$because"
            }
        }
        foreach ($backend in $Vm.Spec.HubBackends) {
            ($network | Where-Object { $_.Hub -eq $backend.Hub -and $_.Name -eq $backend.Id }).Type | Should -Be $backend.Kind.ToString().ToLowerInvariant()
        }
    }
}

Describe 'ConvertFrom-QemuCommandLine: the golden corpus, started on the installed QEMU' -Skip:([bool]$skip) {
    BeforeAll {
        $script:ns = New-TestNamespace 'qnt-cmdl'
        $script:state = New-TestStateDirectory
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-cmdl-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
        $null = New-Item -ItemType Directory $work
        foreach ($bridge in 'qnbr0', 'qnnat0') {
            & ip -n $ns link add $bridge type bridge
            & ip -n $ns link set $bridge up
        }
        # The test's own stand-ins for the seed's /etc/qemu-ifup (bridge) and /etc/qemu-ifup-NAT.
        $scripts = @{
            ifup = "#!/bin/sh`nip link set `"`$1`" up`nip link set `"`$1`" master qnbr0`n"
            ifdown = "#!/bin/sh`nip link set `"`$1`" down`n"
            'ifup-nat' = "#!/bin/sh`nip link set `"`$1`" up`nip link set `"`$1`" master qnnat0`n"
            'ifdown-nat' = "#!/bin/sh`nip link set `"`$1`" nomaster`n"
        }
        $script:fill = @{ kernel = $kernel; initrd = $initrd; helper = '/usr/lib/qemu/qemu-bridge-helper' }
        # The bridge helper reads /etc/qemu/bridge.conf, a file of the machine: allow the test's bridge, put it back after.
        $script:aclPath = '/etc/qemu/bridge.conf'
        $script:aclBefore = if (Test-Path $aclPath) { Get-Content $aclPath -Raw } else { $null }
        $script:aclDirExisted = Test-Path (Split-Path $aclPath)
        $null = New-Item -ItemType Directory -Force (Split-Path $aclPath)
        Set-Content $aclPath "allow qnbr0`n" -NoNewline
        foreach ($name in $scripts.Keys) {
            $path = Join-Path $work "qemu-$name"
            Set-Content -Path $path -Value $scripts[$name] -NoNewline
            & chmod 755 $path
            $fill[$name] = $path
        }
        foreach ($disk in 'disk', 'disk2') {
            $path = Join-Path $work "$disk.img"
            & truncate -s 1M $path
            $fill[$disk] = $path
        }
        $script:port = 19300
        function Expand-Line([string]$Line) {
            $script:port++
            $Line = $Line.Replace('{port}', "$script:port")
            foreach ($key in $fill.Keys) { $Line = $Line.Replace("{$key}", $fill[$key]) }
            return $Line
        }
    }
    AfterAll {
        Remove-TestStateDirectory $state
        Remove-TestNamespace $ns
        Remove-Item $work -Recurse -Force -ErrorAction Ignore
        if ($null -eq $aclBefore) { Remove-Item $aclPath -ErrorAction Ignore } else { Set-Content $aclPath $aclBefore -NoNewline }
        if (-not $aclDirExisted) { Remove-Item (Split-Path $aclPath) -Recurse -ErrorAction Ignore }
    }
    AfterEach {
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    }

    It '<Name>: parsed, started in today''s syntax, and QEMU shows what the objects say' -TestCases $corpus {
        $text = Expand-Line $Line
        $spec = ConvertFrom-QemuCommandLine $text -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty -Because 'every option of the corpus is carried over'
        $spec | Should -BeOfType ([QemuNet.Core.Model.QemuLaunchSpec])
        $vm = $spec | Start-QemuVm -Name "c-$Name" -Kernel $kernel -Initrd $initrd -Append "$GuestAppend qn_hold=60" -Accelerator Tcg -NetworkNamespace $ns
        $vm.State | Should -Be 'Running'
        if ($spec.NoNetwork) {
            $vm.Arguments | Should -Contain 'none'
            ConvertFrom-InfoNetwork (Invoke-TestHmp $vm.QmpSocket 'info network') | Should -BeNullOrEmpty
        }
        else {
            Assert-QemuMatchesSpec $vm
        }
        if ($_['Helper']) {
            $ports = @(& ip -n $ns -j link show master qnbr0 | ConvertFrom-Json)
            $ports.Count | Should -Be 1 -Because 'the bridge helper made the TAP and put it on the line''s bridge'
            $ports[0].ifname | Should -BeLike 'tap*'
        }
        if ($_['Tap']) {
            foreach ($tap in $vm.Nics.Backend | Where-Object Kind -eq 'Tap') {
                $link = & ip -n $ns -j link show $tap.IfName | ConvertFrom-Json
                $link.master | Should -Be ($Line -match 'ifup-nat' ? 'qnnat0' : 'qnbr0') -Because 'the line''s ifup script ran with the TAP QEMU made'
            }
        }
        $vm | Stop-QemuVm -TurnOff -Confirm:$false
    }

    It 'the seed''s line in the seed''s own syntax (-net, no vlan=) starts on the installed QEMU too: ConvertTo-QemuCommandLine -Syntax Legacy' {
        $spec = ConvertFrom-QemuCommandLine (Expand-Line '-m 256 -net nic,model=virtio,macaddr=52:54:00:00:20:01 -net user,hostfwd=tcp:127.0.0.1:{port}-:80')
        $legacy = @($spec | ConvertTo-QemuCommandLine -Syntax Legacy -QemuPath qemu-system-x86_64 -AsArray)
        $legacy | Should -Contain 'nic,macaddr=52:54:00:00:20:01,model=virtio'
        $pidFile = Join-Path $work 'legacy.pid'
        $qmp = Join-Path $work 'legacy.qmp'
        & ip netns exec $ns qemu-system-x86_64 @legacy -display none -S -daemonize -pidfile $pidFile -qmp "unix:$qmp,server=on,wait=off"
        $LASTEXITCODE | Should -Be 0
        try {
            $network = ConvertFrom-InfoNetwork (Invoke-TestHmp $qmp 'info network')
            $nic = $network | Where-Object Type -eq 'nic'
            $nic.Model | Should -Be 'virtio-net-pci'
            $nic.Mac | Should -Be '52:54:00:00:20:01'
            $nic.Hub | Should -Be 0 -Because 'every -net of today''s QEMU sits on hub 0'
            ($network | Where-Object { $_.Hub -eq 0 -and $_.Type -eq 'user' }) | Should -Not -BeNullOrEmpty
        }
        finally {
            & kill -9 (Get-Content $pidFile)
        }
    }
}

Describe 'Command lines without QEMU' {
    It 'reads the seed''s bridge line as a POSIX shell would and writes it back in today''s syntax' {
        $spec = ConvertFrom-QemuCommandLine "qemu-kvm -m 512 -kernel '/boot/vmlinuz a' \`n  -net nic -net tap,ifname=tap1,script=/etc/qemu-ifup,downscript=no"
        $spec.MemoryMiB | Should -Be 512
        $spec.Kernel | Should -Be '/boot/vmlinuz a'
        $spec.Nics[0].Model | Should -Be 'e1000'
        $spec.Nics[0].Backend.IfName | Should -Be 'tap1'
        $line = $spec | ConvertTo-QemuCommandLine -Syntax Modern
        $line | Should -Match "^qemu-system-x86_64 -name guest=vm-[0-9a-f]{8} -m 512 -smp 1 -kernel '/boot/vmlinuz a' -netdev tap,id=net0,ifname=tap1,script=/etc/qemu-ifup,downscript=no -device e1000,netdev=net0,id=nic0,mac=52:54:00:"
    }

    It 'writes one line per spec piped in' {
        $one = ConvertFrom-QemuCommandLine -Name one '-m 300 -net nic -net user'
        $two = ConvertFrom-QemuCommandLine -Name two '-m 400 -net nic -net user'
        $lines = @($one, $two | ConvertTo-QemuCommandLine -Syntax Modern)
        $lines.Count | Should -Be 2
        $lines[0] | Should -Match '^qemu-system-x86_64 -name guest=one -m 300 '
        $lines[1] | Should -Match '^qemu-system-x86_64 -name guest=two -m 400 '
    }

    It 'takes an argument array as well as one string, with the same result' {
        $fromText = ConvertFrom-QemuCommandLine '-m 300 -net nic,model=rtl8139 -net user'
        $fromArray = ConvertFrom-QemuCommandLine -ArgumentList '-m', '300', '-net', 'nic,model=rtl8139', '-net', 'user' -Name $fromText.Name
        ($fromArray | ConvertTo-QemuCommandLine -Syntax Modern) | Should -Be ($fromText | ConvertTo-QemuCommandLine -Syntax Modern)
    }

    It 'ConvertTo-QemuCommandLine -Syntax Auto picks today''s syntax for the installed QEMU' -Skip:(-not (Get-Command qemu-system-x86_64 -ErrorAction Ignore)) {
        $spec = ConvertFrom-QemuCommandLine '-net nic,vlan=0 -net user,vlan=0'
        $auto = $spec | ConvertTo-QemuCommandLine
        $auto | Should -Be ($spec | ConvertTo-QemuCommandLine -Syntax Modern)
        $auto | Should -Match 'hubport,id=net0-hub,hubid=0,netdev=net0'
        ($spec | ConvertTo-QemuCommandLine -Syntax Legacy) | Should -Match '-net nic,vlan=0,macaddr=\S+,model=e1000,name=nic0 -net user,vlan=0,name=net0'
    }

    It 'warns about each option it cannot carry over, and -Strict makes that an error' {
        $spec = ConvertFrom-QemuCommandLine '-m 256 -net nic -net user,smb=/srv -watchdog i6300esb' -WarningVariable warnings -WarningAction SilentlyContinue
        $spec.Nics.Count | Should -Be 1
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'smb=/srv'
        "$($warnings[0])" | Should -Match '-watchdog'
        $err = $null
        $null = ConvertFrom-QemuCommandLine '-m 256 -net nic -net user,smb=/srv' -Strict -ErrorVariable err -ErrorAction SilentlyContinue
        ($err[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'CommandLineNotUnderstood'
    }

    It 'refuses <Case> with <ErrorId>, naming the token' -TestCases @(
        @{ Case = 'an unbalanced quote'; Line = "-m 256 -append 'console=ttyS0"; ErrorId = 'CommandLineQuoteUnbalanced'; Token = "'console=ttyS0" }
        @{ Case = 'an unknown -net type'; Line = '-net nic -net frobnicate'; ErrorId = 'CommandLineNetTypeUnknown'; Token = 'frobnicate' }
        @{ Case = 'an option without its value'; Line = '-net nic -net'; ErrorId = 'CommandLineValueMissing'; Token = '-net' }
        @{ Case = 'duplicate ids'; Line = '-netdev user,id=a -netdev user,id=a -device e1000,netdev=a'; ErrorId = 'CommandLineIdDuplicate'; Token = 'a' }
        @{ Case = 'the seed''s "..." elision'; Line = 'qemu-kvm ... -net nic'; ErrorId = 'CommandLineStrayWord'; Token = '...' }
        @{ Case = 'shell syntax'; Line = '-m $MEM -net nic'; ErrorId = 'CommandLineShellSyntax'; Token = '$MEM' }
        @{ Case = 'a bad MAC'; Line = '-net nic,macaddr=52:54:00:zz:00:01 -net user'; ErrorId = 'NicMacInvalid'; Token = '52:54:00:zz:00:01' }
        @{ Case = 'a PCI function in the old addr='; Line = '-net nic,addr=1:5 -net user'; ErrorId = 'CommandLineOptionInvalid'; Token = 'addr=1:5' }
    ) {
        $err = $null
        $out = ConvertFrom-QemuCommandLine $Line -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        ($err[0].FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($err[0].TargetObject)" | Should -BeLike "*$Token*"
        $err[0].Exception.Message | Should -Match '(column|argument) \d+'
    }
}
