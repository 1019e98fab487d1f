# Networks that come back after a reboot, on real parts: a network enabled with -AutoStart, given a reservation and
# a forward; then a simulated reboot (the namespace and the runtime books deleted, an empty namespace of the same
# name made again, its LAN link back); Restore-QemuNetwork must bring it back as defined, and a guest must get its
# reserved lease and be reachable through the forward. The configuration directory is the test's own.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the autostart tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'
}

Describe 'Autostart definitions and Restore-QemuNetwork' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:config = $env:QEMUNET_CONFIG_DIR
        $script:hostNs = New-TestNamespace 'qnt-ash'
        $script:upNs = New-TestNamespace 'qnt-asu'
        $script:www = Join-Path $state 'upstream-www'
        Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot $www -HostLink qnup0

        function Invoke-Reboot {
            # What a reboot does to the host's namespace: everything in it gone, /run emptied; /etc (the definitions) kept.
            Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
            Remove-TestNamespace $hostNs
            Remove-Item (Join-Path $state '*'), (Join-Path "$state-dnsmasq" '*') -Recurse -Force -ErrorAction Ignore
            & ip netns add $hostNs
            & ip -n $hostNs link set lo up
            # The kernel frees a deleted namespace later, in a work queue: until then upstream still has the old
            # veth's peer, and a new pair with that name cannot be made (failed in CI on a busy machine).
            $gone = [Diagnostics.Stopwatch]::StartNew()
            while ((& ip -n $upNs -br link show dev eth0 2>$null) -and $gone.Elapsed.TotalSeconds -lt 20) { Start-Sleep -Milliseconds 50 }
            # The LAN comes back with the host: its link to upstream.
            & ip link add qnup0 netns $hostNs type veth peer name eth0 netns $upNs
            if ($LASTEXITCODE -ne 0) { throw "The upstream link could not be made again (eth0 of $upNs still there after $($gone.Elapsed.TotalSeconds) s)." }
            & ip -n $hostNs addr add 203.0.113.1/24 dev qnup0
            & ip -n $hostNs link set qnup0 up
            & ip -n $upNs addr add 203.0.113.2/24 dev eth0
            & ip -n $upNs link set eth0 up
        }

        function Get-FromUpstream([string]$Address, [int]$Port) {
            $reply = 'GET / HTTP/1.0', '', '' -join "`r`n" | & ip netns exec $upNs timeout 5 busybox nc $Address $Port 2>$null
            return ($reply | Out-String)
        }
    }
    AfterEach {
        # A failed test leaves nothing for the next one to trip over.
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
        Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
        Remove-Item (Join-Path $config "netns/$hostNs/nat"), (Join-Path $config "netns/$hostNs/bridge") -Recurse -Force -ErrorAction Ignore
    }
    AfterAll {
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
        Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
        Remove-TestStateDirectory $state
        Remove-TestNamespace $hostNs
        Remove-TestNamespace $upNs
    }

    It 'brings a network back after a reboot as defined: bridge, address, rules, dnsmasq, reservation, forward; a new guest gets its lease and is reached' {
        $net = Enable-QemuNat -Name keep -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/64 -AutoStart -DomainName lab.test -NetworkNamespace $hostNs -Confirm:$false
        $net.AutoStart | Should -BeTrue
        $null = Add-QemuNatReservation -Network keep -MacAddress 52:54:00:00:a5:10 -IPAddress 198.51.100.10 -HostName web -NetworkNamespace $hostNs -Confirm:$false
        $null = Add-QemuPortForward -Network keep -HostPort 8080 -GuestAddress 52:54:00:00:a5:10 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false
        $null = Add-QemuNatDnsRecord -Network keep -Name files.lab.test -Address 198.51.100.20 -NetworkNamespace $hostNs -Confirm:$false
        $definitionFile = Join-Path $config "netns/$hostNs/nat/keep.json"
        $definition = Get-Content -Raw $definitionFile | ConvertFrom-Json
        $definition.Reservations.MacAddress | Should -Be '52:54:00:00:a5:10' -Because 'the definition changes in the same plan as the network'
        $definition.PortForwards.HostPort | Should -Be 8080
        $definition.DnsRecords.Name | Should -Be 'files.lab.test'
        $definition.RestoreIpForward | Should -BeFalse -Because 'a definition keeps no runtime duty'
        $before = Get-NamespaceSnapshot -Namespace $hostNs
        $bridgeAddrs = { (& ip -n $hostNs addr show dev qn-keep scope global | Where-Object { $_ -match 'inet6? ' } | ForEach-Object { ($_ -split ' ')[5] }) -join ',' }
        $beforeAddrs = & $bridgeAddrs
        $beforeAddrs | Should -Be '198.51.100.1/24,2001:db8:5::1/64'

        Invoke-Reboot
        Get-QemuNat -NetworkNamespace $hostNs | Should -BeNullOrEmpty -Because 'the runtime books went with /run'
        $restored = Restore-QemuNetwork
        $restored.Name | Should -Be 'keep'
        $restored.State | Should -Be 'Active'
        $restored.Reservations.IPAddress | Should -Be '198.51.100.10'
        $restored.PortForwards.GuestAddress | Should -Be '198.51.100.10'
        # The bridge's MAC, and with it its link-local address, is new after a reboot; its addresses are as defined.
        & $bridgeAddrs | Should -Be $beforeAddrs
        Compare-NamespaceSnapshot -Namespace $hostNs -Expected $before -Skip Programs, Addrs -Because 'restored as it was defined'

        $vm = Get-QemuNat -Name keep -NetworkNamespace $hostNs | New-QemuNic -Model virtio -MacAddress 52:54:00:00:a5:10 |
            Start-QemuVm -Name kept -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=120 qn_lookup=files.lab.test"
        $lines = Wait-GuestConsole $vm
        ($lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }).ip | Should -Be '198.51.100.10' -Because ($lines -join "`n")
        $lines | Should -Contain 'QEMUNET-LOOKUP name=files.lab.test result=ok address=198.51.100.20'
        Get-FromUpstream 203.0.113.1 8080 | Should -Match 'QEMUNET-HTTP-OK 198\.51\.100\.10'

        # Twice: nothing changes the second time.
        $again = Get-NamespaceSnapshot -Namespace $hostNs
        $dnsmasq = (Get-QemuNat -Name keep -NetworkNamespace $hostNs).DnsmasqPid
        $second = Restore-QemuNetwork -Verbose 4>&1
        ($second | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match "nat 'keep' in namespace $hostNs\: nothing to change"
        Compare-NamespaceSnapshot -Namespace $hostNs -Expected $again -Because 'a second restore changes nothing'
        (Get-QemuNat -Name keep -NetworkNamespace $hostNs).DnsmasqPid | Should -Be $dnsmasq

        $vm | Stop-QemuVm -TurnOff -Confirm:$false
        Disable-QemuNat -Name keep -NetworkNamespace $hostNs -Confirm:$false
        Test-Path $definitionFile | Should -BeFalse -Because 'Disable undefines'
    }

    It 'brings back a bridge without an uplink, and leaves one that takes an uplink to the host''s own configuration' {
        & ip -n $hostNs link add qnlan0 type veth peer name qnlan1
        $bridge = New-QemuBridge -Name qnbr5 -AutoStart -NetworkNamespace $hostNs -Confirm:$false
        $bridge.Name | Should -Be 'qnbr5'
        $bridge.AutoStart | Should -BeTrue -Because 'Get-QemuBridge said False for every bridge'
        (Get-QemuBridge -NetworkNamespace $hostNs | Where-Object Name -eq qnbr5).AutoStart | Should -BeTrue
        $null = New-QemuBridge -Name qnbr6 -Uplink qnlan0 -AutoStart -NetworkNamespace $hostNs -Confirm:$false
        $folder = Join-Path $config "netns/$hostNs/bridge"
        @(Get-ChildItem $folder | ForEach-Object Name) | Should -Be @('qnbr5.json', 'qnbr6.json')
        # A NAT network of the same namespace comes back after the bridges.
        $null = Enable-QemuNat -Name after -Subnet 198.18.2.0/24 -AutoStart -NetworkNamespace $hostNs -Confirm:$false

        Invoke-Reboot
        $restored = Restore-QemuNetwork -NetworkNamespace $hostNs -WarningVariable said -WarningAction SilentlyContinue
        @($restored | ForEach-Object { $_.GetType().Name + ' ' + $_.Name }) | Should -Be @('QemuBridge qnbr5', 'QemuNatNetwork after')
        "$said" | Should -Match 'qnbr6 .*takes over qnlan0.*Export-QemuBridgeConfig'
        (& ip -n $hostNs -d -j link show dev qnbr5 | ConvertFrom-Json).linkinfo.info_kind | Should -Be 'bridge'
        (& ip -n $hostNs link show dev qnbr6 2>&1 | Out-String) | Should -Match 'does not exist'
        $second = Restore-QemuNetwork -NetworkNamespace $hostNs -WarningAction SilentlyContinue -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String
        $second | Should -Match "bridge 'qnbr5' in namespace $hostNs\: nothing to change"

        Remove-QemuBridge -Name qnbr5 -NetworkNamespace $hostNs -Confirm:$false
        Test-Path (Join-Path $folder 'qnbr5.json') | Should -BeFalse -Because 'Remove-QemuBridge undefines'
        Disable-QemuNat -Name after -NetworkNamespace $hostNs -Confirm:$false
        Remove-Item (Join-Path $folder 'qnbr6.json')
    }

    It 'Export-QemuBridgeConfig writes a bridge that takes an uplink in each host format; ifupdown''s own parser accepts its file' {
        & ip -n $hostNs link add qnlan2 type veth peer name qnlan3
        & ip -n $hostNs link set qnlan3 up
        & ip -n $hostNs link set qnlan2 up
        & ip -n $hostNs addr add 198.51.100.50/24 dev qnlan2
        & ip -n $hostNs route add default via 198.51.100.1 dev qnlan2
        $null = New-QemuBridge -Name qnbr8 -Uplink qnlan2 -NetworkNamespace $hostNs -Confirm:$false
        $out = Join-Path $state 'export'
        try {
            $files = foreach ($format in 'Ifupdown', 'Networkd', 'NetworkManager') {
                Export-QemuBridgeConfig -Name qnbr8 -Format $format -Path (Join-Path $out $format) -NetworkNamespace $hostNs -PassThru -Confirm:$false
            }
            @($files | ForEach-Object Name) | Should -Be @('qnbr8', '25-qnbr8.netdev', '25-qnbr8-port-qnlan2.network', '25-qnbr8.network', 'qnbr8.nmconnection', 'qnbr8-port-qnlan2.nmconnection')
            if (Get-Command ifquery -ErrorAction Ignore) {
                $parsed = & ifquery -i (Join-Path $out 'Ifupdown/qnbr8') qnbr8 2>&1 | Out-String
                $LASTEXITCODE | Should -Be 0 -Because $parsed
                $parsed | Should -Match 'address: 198\.51\.100\.50'
                $parsed | Should -Match 'gateway: 198\.51\.100\.1'
                $parsed | Should -Match 'bridge_ports: qnlan2'
            }
            else {
                Set-ItResult -Inconclusive -Because 'ifquery (apt install ifupdown) is not installed here to parse the ifupdown file'
            }
            Get-Content -Raw (Join-Path $out 'Networkd/25-qnbr8.network') | Should -Match "(?m)^Address=198\.51\.100\.50/24`n^Gateway=198\.51\.100\.1$"
            Get-Content -Raw (Join-Path $out 'NetworkManager/qnbr8-port-qnlan2.nmconnection') | Should -Match "(?m)^master=qnbr8$"
            [int](Get-Item (Join-Path $out 'NetworkManager/qnbr8.nmconnection')).UnixFileMode | Should -Be 384 -Because 'NetworkManager ignores keyfiles others can read (0600)'
            $again = Export-QemuBridgeConfig -Name qnbr8 -Format Networkd -Path (Join-Path $out 'Networkd') -NetworkNamespace $hostNs -Confirm:$false -Verbose 4>&1 | Out-String
            $again | Should -Match 'nothing to change'

            Set-Content (Join-Path $out 'Ifupdown/qnbr8') "auto qnbr8`niface qnbr8 inet dhcp`n" -NoNewline
            $mine = Get-Failure { Export-QemuBridgeConfig -Name qnbr8 -Format Ifupdown -Path (Join-Path $out 'Ifupdown') -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
            ($mine.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeConfigFileExists'
            Get-Content -Raw (Join-Path $out 'Ifupdown/qnbr8') | Should -Be "auto qnbr8`niface qnbr8 inet dhcp`n" -Because 'the admin''s own file is theirs'
            $null = New-QemuBridge -Name qnbr9 -NetworkNamespace $hostNs -Confirm:$false
            $none = Get-Failure { Export-QemuBridgeConfig -Name qnbr9 -Format Networkd -Path $out -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
            ($none.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeConfigNoUplink'
            $unknown = Get-Failure { Export-QemuBridgeConfig -Name qnnobr0 -Format Networkd -Path $out -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
            ($unknown.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeNotManaged'
        } finally {
            Get-QemuBridge -NetworkNamespace $hostNs | Where-Object Name -in 'qnbr8', 'qnbr9' | Remove-QemuBridge -Confirm:$false -ErrorAction Continue
            & ip -n $hostNs link del qnlan2 2>$null
        }
    }

    It 'Set-QemuNat -AutoStart turns the definition on and off; a restore puts a definition''s lists back in step' {
        $null = Enable-QemuNat -Name late -Subnet 198.18.3.0/24 -NetworkNamespace $hostNs -Confirm:$false
        $file = Join-Path $config "netns/$hostNs/nat/late.json"
        Test-Path $file | Should -BeFalse
        Set-QemuNat -Name late -AutoStart $true -NetworkNamespace $hostNs -Confirm:$false
        Test-Path $file | Should -BeTrue
        (Get-QemuNat late -NetworkNamespace $hostNs).AutoStart | Should -BeTrue
        # The definition says what the network should have: a reservation only it knows comes with the restore.
        $text = Get-Content -Raw $file | ConvertFrom-Json
        $text.Reservations = @([pscustomobject]@{ MacAddress = '52:54:00:00:03:10'; IPAddress = '198.18.3.10'; HostName = $null; IPv6Address = $null })
        $text | ConvertTo-Json -Depth 5 | Set-Content $file
        $restored = Restore-QemuNetwork -Name late
        $restored.Reservations.IPAddress | Should -Be '198.18.3.10'
        Set-QemuNat -Name late -AutoStart $false -NetworkNamespace $hostNs -Confirm:$false
        Test-Path $file | Should -BeFalse
        Disable-QemuNat -Name late -NetworkNamespace $hostNs -Confirm:$false
    }

    It 'reports a definition whose uplink is missing and changes nothing for it; refuses torn, forged and duplicate definitions naming the file' {
        $folder = Join-Path $config "netns/$hostNs/nat"
        $null = New-Item -ItemType Directory -Path $folder -Force
        $good = [ordered]@{ Name = 'upl'; BridgeName = 'qn-upl'; Subnet = '198.18.4.0/24'; Gateway = '198.18.4.1'; DhcpStart = '198.18.4.2'; DhcpEnd = '198.18.4.254'; Uplink = 'qnnolink0'; AutoStart = $true }
        $good | ConvertTo-Json | Set-Content (Join-Path $folder 'upl.json')
        '{"Name":"torn","BridgeName":"qn-to' | Set-Content (Join-Path $folder 'torn.json')
        ([ordered]@{ Name = 'forged'; BridgeName = '$(reboot)'; Subnet = '198.18.5.0/24'; Gateway = '198.18.5.1' } | ConvertTo-Json) | Set-Content (Join-Path $folder 'forged.json')
        $dup = [ordered]@{ Name = 'zdup'; BridgeName = 'qn-upl'; Subnet = '198.18.6.0/24'; Gateway = '198.18.6.1'; DhcpStart = '198.18.6.2'; DhcpEnd = '198.18.6.254'; AutoStart = $true }
        $dup | ConvertTo-Json | Set-Content (Join-Path $folder 'zdup.json')
        $before = Get-NamespaceSnapshot -Namespace $hostNs
        $out = Restore-QemuNetwork -NetworkNamespace $hostNs -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $ids = $errs | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] + ' ' + $_.TargetObject }
        $ids | Should -Contain "NatUplinkNotFound qnnolink0"
        $ids | Should -Contain "StateRecordCorrupt $(Join-Path $folder 'torn.json')"
        ($ids | Where-Object { $_ -like 'BridgeNameInvalid*' -or $_ -like "StateRecordInvalid $(Join-Path $folder 'forged.json')" }) | Should -Not -BeNullOrEmpty -Because ($ids -join '; ')
        $ids | Should -Contain "NatDefinitionDuplicate $(Join-Path $folder 'zdup.json')"
        Compare-NamespaceSnapshot -Namespace $hostNs -Expected $before -Because 'nothing half-applied'
        Remove-Item $folder -Recurse -Force
    }

    It 'refuses -AutoStart in a namespace without a name, and a configuration directory another user owns, changing nothing' {
        $before = Get-NamespaceSnapshot -Namespace $hostNs
        # A namespace only a process holds (unshare): nothing could find it after a reboot.
        $dotnet = (Get-Process -Id $PID).Path
        $pwshDll = [Environment]::GetCommandLineArgs()[0]
        $script = "Import-Module '$ModuleManifest'; try { Enable-QemuNat -Name anon -Subnet 198.18.7.0/24 -AutoStart -Confirm:`$false -ErrorAction Stop; 'ENABLED' } catch { 'ERROR ' + (`$_.FullyQualifiedErrorId -split ',')[0] }; (ip -br link | Out-String)"
        $argv = @('--net') + @(if ($pwshDll -like '*.dll') { $dotnet, $pwshDll } else { $pwshDll }) + @('-NoProfile', '-NonInteractive', '-Command', $script)
        $out = & unshare @argv 2>&1 | Out-String
        $out | Should -Match 'ERROR AutoStartNamespaceUnnamed'
        $out | Should -Not -Match 'qn-anon' -Because 'refused before any change'

        $foreign = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-foreign-' + [guid]::NewGuid().ToString('n').Substring(0, 6))
        $null = New-Item -ItemType Directory -Path $foreign
        & chown nobody $foreign
        $env:QEMUNET_CONFIG_DIR = $foreign
        try {
            $err = Get-Failure { Enable-QemuNat -Name own -Subnet 198.18.8.0/24 -AutoStart -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ConfigDirectoryUnsafe'
            $err.TargetObject | Should -Be $foreign
            $err2 = Get-Failure { Restore-QemuNetwork -ErrorAction Stop }
            ($err2.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ConfigDirectoryUnsafe'
        } finally {
            $env:QEMUNET_CONFIG_DIR = $config
            Remove-Item $foreign -Recurse -Force
        }
        Get-QemuNat -Name own -NetworkNamespace $hostNs -ErrorAction Ignore | Should -BeNullOrEmpty
        Compare-NamespaceSnapshot -Namespace $hostNs -Expected $before -Because 'refused before any change'
    }
}
