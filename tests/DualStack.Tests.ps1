# Dual-stack networks, static routes and DNS on real parts: a "host" namespace where the module works and an
# "upstream" one with IPv4 and IPv6 (2001:db8:1::/64) web servers. Guests boot and must get addresses of both
# families, reach upstream over IPv6 through NAT66 (or routed), be reached through an IPv6 forward, see the
# static routes DHCP hands them, and resolve the network's DNS records. Every test leaves the namespace as it was.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the dual-stack tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'
}

Describe 'Dual-stack networks, routes and DNS' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:hostNs = New-TestNamespace 'qnt-dsh'
        $script:upNs = New-TestNamespace 'qnt-dsu'
        $script:www = Join-Path $state 'upstream-www'
        Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot $www -HostLink qnup0
        & ip -n $hostNs addr add 2001:db8:1::1/64 dev qnup0 nodad
        & ip -n $upNs addr add 2001:db8:1::2/64 dev eth0 nodad
        $null = New-Item -ItemType Directory -Path (Join-Path $www 'cgi-bin')
        Set-Content (Join-Path $www 'cgi-bin/ip') "#!/bin/busybox sh`necho 'Content-type: text/plain'`necho`necho REMOTE=`$REMOTE_ADDR`n" -NoNewline
        & chmod 755 (Join-Path $www 'cgi-bin/ip')
        & ip netns exec $upNs busybox httpd -p '[2001:db8:1::2]:80' -h $www
        # An upstream name server that only knows up.example: what the network's -DnsForwarder must reach.
        & ip netns exec $upNs dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=203.0.113.2 --except-interface=lo `
            --address=/up.example/203.0.113.99 --address=/up.example/2001:db8:1::99 "--pid-file=$state/upstream-dnsmasq.pid"
        # Let the link-local addresses finish DAD, so snapshots compare the module's work and not the kernel's timer.
        Start-Sleep -Seconds 2
        $script:initial = Get-NamespaceSnapshot -Namespace $hostNs

        function Get-Books { @(Get-ChildItem (Join-Path $state 'nat'), "$state-dnsmasq" -Recurse -File -ErrorAction Ignore | Where-Object Name -ne '.lock').Count }
        $script:initialBooks = Get-Books

        function Assert-AsItWas([string]$Because) {
            Compare-NamespaceSnapshot -Namespace $hostNs -Expected $initial -Because $Because
            Get-Books | Should -Be $initialBooks -Because 'no file of the network is left'
        }

        function Start-DsGuest([string]$Network, [string]$Name, [string]$Mac, [string]$Extra) {
            Get-QemuNat -Name $Network -NetworkNamespace $hostNs | New-QemuNic -Model virtio -MacAddress $Mac |
                Start-QemuVm -Name $Name -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=120 qn_v6=20 $Extra"
        }

        function Get-GuestLine($Lines, [string]$Kind) {
            $Lines | Where-Object { $_ -like "QEMUNET-$Kind *" } | ForEach-Object { ConvertFrom-GuestLine $_ }
        }

        function Get-FromUpstream([string]$Address, [int]$Port = 80) {
            # busybox nc over IPv6 or IPv4; a refused or dropped connection prints nothing.
            $reply = 'GET / HTTP/1.0', '', '' -join "`r`n" | & ip netns exec $upNs timeout 5 busybox nc $Address $Port 2>$null
            return ($reply | Out-String)
        }
    }
    AfterAll {
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
        Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
        Remove-TestStateDirectory $state
        Remove-TestNamespace $hostNs
        Remove-TestNamespace $upNs
    }
    AfterEach {
        # A failed test leaves nothing for the next one to trip over.
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
        Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
        & ip -n $upNs -6 route del 2001:db8:8::/64 via 2001:db8:1::1 2>$null
    }

    It 'NAT66: the guest gets both families, pings the gateway on both, gets out over IPv6 as the host, and an IPv6 forward reaches it' {
        $net = Enable-QemuNat -Name ds -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/64 -NetworkNamespace $hostNs -Confirm:$false
        $net.Subnet6 | Should -Be '2001:db8:5::/64'
        $net.Gateway6 | Should -Be '2001:db8:5::1'
        $net.RestoreIpv6Forward | Should -BeTrue
        & ip netns exec $hostNs sysctl -n net.ipv6.conf.all.forwarding | Should -Be '1'
        (& ip -n $hostNs -6 addr show dev qn-ds | Out-String) | Should -Match 'inet6 2001:db8:5::1/64 scope global'

        $vm = Start-DsGuest ds ds1 52:54:00:00:65:10 'qn_ping=198.51.100.1 qn_ping6=2001:db8:5::1 qn_fetch6=http://[2001:db8:1::2]/cgi-bin/ip'
        $lines = Wait-GuestConsole $vm
        $why = $lines -join "`n"
        (Get-GuestLine $lines LEASE).ip | Should -Match '^198\.51\.100\.\d+$' -Because $why
        $addr6 = Get-GuestLine $lines ADDR6
        $addr6.addr | Should -Be '2001:db8:5:0:5054:ff:fe00:6510/64' -Because "SLAAC from the router advertisement (EUI-64 of the MAC): $why"
        $addr6.router | Should -Match '^fe80::' -Because 'the default route comes from the router advertisement'
        $lines | Should -Contain 'QEMUNET-PING target=198.51.100.1 result=ok'
        $lines | Should -Contain 'QEMUNET-PING target=2001:db8:5::1 result=ok'
        (Get-GuestLine $lines FETCH).body | Should -Be 'REMOTE=[2001:db8:1::1]' -Because 'upstream sees the host''s uplink address (NAT66)'

        $guest6 = '2001:db8:5:0:5054:ff:fe00:6510'
        $forward = Add-QemuPortForward -Network ds -HostPort 8080 -GuestAddress $guest6 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false
        "$forward" | Should -Be "tcp [*]:8080 -> [$($guest6)]:80"
        Get-FromUpstream 2001:db8:1::1 8080 | Should -Match 'QEMUNET-HTTP-OK 198\.51\.100\.\d+'
        Get-FromUpstream 203.0.113.1 8080 | Should -Not -Match 'QEMUNET-HTTP-OK' -Because 'an IPv6 forward forwards IPv6 only'

        $lease = Get-QemuNatLease -Network ds -NetworkNamespace $hostNs
        $lease.IPAddress | Should -Match '^198\.51\.100\.\d+$'
        $lease.IPv6Address | Should -Be $guest6 -Because 'leases show both families'
        (Get-QemuNat ds -NetworkNamespace $hostNs).State | Should -Be 'Active'

        $vm | Stop-QemuVm -TurnOff -Confirm:$false
        Disable-QemuNat -Name ds -NetworkNamespace $hostNs -Confirm:$false
        Assert-AsItWas 'Disable puts back both forwarding sysctls and every interface''s own'
    }

    It 'routed: upstream reaches the guest over IPv6 at its own address; static routes reach the guest by DHCP and the host''s table' {
        $net = Enable-QemuNetwork -Name dr -Mode Routed -Subnet 198.18.8.0/24 -Subnet6 2001:db8:8::/64 -Route '192.0.2.0/24 via 198.18.8.7' `
            -NetworkNamespace $hostNs -Confirm:$false -WarningAction SilentlyContinue
        $net.Routes.Count | Should -Be 1
        # Until a guest joins, the bridge (a MAC of its own, as libvirt's) has no carrier, and the kernel marks the route linkdown.
        (& ip -n $hostNs route show 192.0.2.0/24 | Out-String).Trim() | Should -Match '^192\.0\.2\.0/24 via 198\.18\.8\.7 dev qn-dr( linkdown)?$' -Because 'a routed host sends what lies behind the guest to it'
        (& ip netns exec $hostNs nft list table inet qemunet_dr | Out-String) | Should -Not -Match 'masquerade'
        & ip -n $upNs -6 route add 2001:db8:8::/64 via 2001:db8:1::1

        $vm = Start-DsGuest dr dr1 52:54:00:00:68:10 'qn_fetch6=http://[2001:db8:1::2]/cgi-bin/ip'
        $lines = Wait-GuestConsole $vm
        $why = $lines -join "`n"
        $guest6 = '2001:db8:8:0:5054:ff:fe00:6810'
        (Get-GuestLine $lines ADDR6).addr | Should -Be "$guest6/64" -Because $why
        (Get-GuestLine $lines FETCH).body | Should -Be "REMOTE=[$guest6]" -Because 'routed: no translation'
        $lines | Should -Contain 'QEMUNET-ROUTE 192.0.2.0/24 via 198.18.8.7 dev eth0' -Because "DHCP option 121: $why"
        Get-FromUpstream $guest6 | Should -Match 'QEMUNET-HTTP-OK 198\.18\.8\.\d+'

        # The route is part of the network: deleted by hand, it is drift, and Enable puts it back.
        & ip -n $hostNs route del 192.0.2.0/24 via 198.18.8.7
        (Get-QemuNat dr -NetworkNamespace $hostNs).Drift | Should -Contain 'route 192.0.2.0/24 via 198.18.8.7 is missing'
        $null = Enable-QemuNetwork -Name dr -Mode Routed -Subnet 198.18.8.0/24 -Subnet6 2001:db8:8::/64 -Route '192.0.2.0/24 via 198.18.8.7' `
            -NetworkNamespace $hostNs -Confirm:$false -WarningAction SilentlyContinue
        (& ip -n $hostNs route show 192.0.2.0/24 | Out-String).Trim() | Should -Be '192.0.2.0/24 via 198.18.8.7 dev qn-dr'

        $vm | Stop-QemuVm -TurnOff -Confirm:$false
        & ip -n $upNs -6 route del 2001:db8:8::/64 via 2001:db8:1::1
        Disable-QemuNetwork -Name dr -NetworkNamespace $hostNs -Confirm:$false
        Assert-AsItWas 'the routes went with the bridge'
    }

    It 'DNS: records and reserved names resolve from a guest, forwarders answer the rest; a derived prefix and the MTU reach the guest' {
        $net = Enable-QemuNat -Name dn -Subnet 198.18.9.0/24 -Ipv6 -Mtu 1400 -DnsForwarder 203.0.113.2 -DomainName lab.test -NetworkNamespace $hostNs -Confirm:$false
        $net.Subnet6 | Should -Match '^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64$' -Because 'a unique-local /64'
        $net.Subnet6 | Should -Be ([QemuNet.Core.Model.Ipv6Prefix]::DeriveUniqueLocal('dn', [QemuNet.Core.Model.Ipv6Prefix]::ReadMachineId()).ToString())
        $a = Add-QemuNatDnsRecord -Network dn -Name files.lab.test -Address 198.18.9.20 -NetworkNamespace $hostNs -Confirm:$false
        $a.Type | Should -Be 'A'
        $aaaa = Add-QemuNatDnsRecord -Network dn -Name files.lab.test -Address ($net.Subnet6 -replace '::/64$', '::20') -NetworkNamespace $hostNs -Confirm:$false
        $aaaa.Type | Should -Be 'AAAA'
        $null = Add-QemuNatReservation -Network dn -MacAddress 52:54:00:00:69:11 -IPAddress 198.18.9.11 -HostName peer -NetworkNamespace $hostNs -Confirm:$false

        $vm = Start-DsGuest dn dn1 52:54:00:00:69:10 'qn_lookup=files.lab.test,peer.lab.test,up.example,nothing.invalid'
        $lines = Wait-GuestConsole $vm
        $why = $lines -join "`n"
        $lines | Should -Contain "QEMUNET-LOOKUP name=files.lab.test result=ok address=198.18.9.20,$($aaaa.Address)" -Because $why
        $lines | Should -Contain 'QEMUNET-LOOKUP name=peer.lab.test result=ok address=198.18.9.11' -Because "a reservation's name resolves for the other guests: $why"
        $lines | Should -Contain 'QEMUNET-LOOKUP name=up.example result=ok address=203.0.113.99,2001:db8:1::99' -Because "the forwarder answers the rest: $why"
        $lines | Should -Contain 'QEMUNET-LOOKUP name=nothing.invalid result=fail'
        $addr6 = Get-GuestLine $lines ADDR6
        $addr6.addr | Should -BeLike (($net.Subnet6 -replace '::/64$', ':') + '*') -Because $why
        $addr6.mtu | Should -Be '1400'
        (Get-GuestLine $lines LEASE).mtu | Should -Be '1400'

        Remove-QemuNatDnsRecord -Network dn -Name files.lab.test -NetworkNamespace $hostNs -Confirm:$false
        (Get-QemuNat dn -NetworkNamespace $hostNs).DnsRecords.Count | Should -Be 0
        $vm | Stop-QemuVm -TurnOff -Confirm:$false
        Disable-QemuNat -Name dn -NetworkNamespace $hostNs -Confirm:$false
        Assert-AsItWas 'after the DNS network'
    }

    It 'DHCPv6: ISC dhclient -6 gets the reserved IPv6 address, dig resolves the name in both families, and the lease shows both' -Skip:(-not (Get-Command dhclient -ErrorAction Ignore) -or -not (Get-Command dig -ErrorAction Ignore)) {
        $null = Enable-QemuNat -Name d6 -Subnet 198.18.6.0/24 -Subnet6 2001:db8:6::/64 -DomainName lab.test -NetworkNamespace $hostNs -Confirm:$false
        $mac = '52:54:00:00:06:77'
        $reservation = Add-QemuNatReservation -Network d6 -MacAddress $mac -IPAddress 198.18.6.77 -IPv6Address 2001:db8:6::77 -HostName webby -NetworkNamespace $hostNs -Confirm:$false
        "$reservation" | Should -Be "$mac -> 198.18.6.77, 2001:db8:6::77 (webby)"
        $clientNs = New-TestNamespace 'qnt-dscli'
        $dhcp = Join-Path $state 'client6'
        $null = New-Item -ItemType Directory -Path $dhcp -Force
        # The client's script only puts the addresses on its link: it never touches the host's resolv.conf.
        Set-Content (Join-Path $dhcp 'script') ("#!/bin/sh`ncase `"`$reason`" in`n  BOUND|RENEW|REBIND|REBOOT) ip addr add `"`$new_ip_address/24`" dev `"`$interface`" ;;`n" +
            "  BOUND6|RENEW6|REBIND6) ip -6 addr add `"`$new_ip6_address/64`" dev `"`$interface`" nodad ;;`nesac`nexit 0`n") -NoNewline
        & chmod 755 (Join-Path $dhcp 'script')
        try {
            & ip link add cli0 netns $hostNs type veth peer name eth0 netns $clientNs
            & ip -n $hostNs link set cli0 master qn-d6
            & ip -n $hostNs link set cli0 up
            & ip -n $clientNs link set eth0 address $mac
            & ip -n $clientNs link set eth0 up
            # dhclient -6 needs its link-local address out of DAD.
            $deadline = [datetime]::UtcNow.AddSeconds(10)
            while ((& ip -n $clientNs -6 addr show dev eth0 scope link | Out-String) -match 'tentative|^\s*$' -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            & timeout 60 ip netns exec $clientNs dhclient -1 -sf (Join-Path $dhcp 'script') -lf (Join-Path $dhcp 'leases4') -pf (Join-Path $dhcp 'pid4') eth0 2>&1 | Out-Null
            & timeout 60 ip netns exec $clientNs dhclient -6 -1 -sf (Join-Path $dhcp 'script') -lf (Join-Path $dhcp 'leases6') -pf (Join-Path $dhcp 'pid6') eth0 2>&1 | Out-Null
            Get-Content -Raw (Join-Path $dhcp 'leases6') | Should -Match 'iaaddr 2001:db8:6::77 '
            (& ip -n $clientNs -6 addr show dev eth0 scope global | Out-String) | Should -Match 'inet6 2001:db8:6::77/64'
            (& ip netns exec $clientNs dig +short +time=2 +tries=2 AAAA webby.lab.test '@198.18.6.1' | Out-String).Trim() | Should -Be '2001:db8:6::77'
            (& ip netns exec $clientNs dig +short +time=2 +tries=2 A webby.lab.test '@2001:db8:6::1' | Out-String).Trim() | Should -Be '198.18.6.77' -Because 'DNS over IPv6 too'
            $lease = Get-QemuNatLease -Network d6 -NetworkNamespace $hostNs
            $lease.MacAddress | Should -Be $mac
            $lease.IPAddress | Should -Be '198.18.6.77'
            $lease.IPv6Address | Should -Be '2001:db8:6::77' -Because 'the DHCPv6 lease is joined to the IPv4 one by the MAC in the client''s DUID'
        } finally {
            foreach ($pid6 in 'pid4', 'pid6') { if (Test-Path (Join-Path $dhcp $pid6)) { & kill (Get-Content (Join-Path $dhcp $pid6)) 2>$null } }
            & ip -n $hostNs link del cli0 2>$null
            Remove-TestNamespace $clientNs
        }
        Disable-QemuNat -Name d6 -NetworkNamespace $hostNs -Confirm:$false
        Assert-AsItWas 'after the DHCPv6 client'
    }

    It 'warns that IPv6 forwarding makes the kernel ignore router advertisements on an uplink that learnt its routes from them' {
        # What a host whose LAN router configures it looks like: a route learnt from an RA (proto ra), accept_ra=1.
        & ip -n $hostNs -6 route add 2001:db8:77::/64 via fe80::1 dev qnup0 proto ra
        try {
            $null = Enable-QemuNat -Name ra -Subnet 198.18.7.0/24 -Subnet6 2001:db8:7::/64 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable said -WarningAction SilentlyContinue
            "$said" | Should -Match 'ignores router advertisements on qnup0 \(accept_ra=1\).*net\.ipv6\.conf\.qnup0\.accept_ra=2'
            Disable-QemuNat -Name ra -NetworkNamespace $hostNs -Confirm:$false
            & ip netns exec $hostNs sysctl -q -w net.ipv6.conf.qnup0.accept_ra=2
            $null = Enable-QemuNat -Name ra -Subnet 198.18.7.0/24 -Subnet6 2001:db8:7::/64 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable said2 -WarningAction SilentlyContinue
            "$said2" | Should -Not -Match 'router advertisements' -Because 'accept_ra=2 takes them even when forwarding'
            Disable-QemuNat -Name ra -NetworkNamespace $hostNs -Confirm:$false
        } finally {
            & ip netns exec $hostNs sysctl -q -w net.ipv6.conf.qnup0.accept_ra=1
            & ip -n $hostNs -6 route del 2001:db8:77::/64 via fe80::1 dev qnup0 proto ra 2>$null
        }
        Assert-AsItWas 'after the RA check'
    }

    It 'refuses <Case> with <ErrorId> and changes nothing' -TestCases @(
        @{ Case = 'a /48'; ErrorId = 'NatSubnet6Invalid'; Target = '2001:db8:5::/48'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Subnet6 2001:db8:5::/48 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a link-local prefix'; ErrorId = 'NatSubnet6Invalid'; Target = 'fe80::/64'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Subnet6 fe80::/64 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a multicast prefix'; ErrorId = 'NatSubnet6Invalid'; Target = 'ff0e::/64'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Subnet6 ff0e::/64 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'the uplink''s own prefix'; ErrorId = 'NatSubnet6Overlap'; Target = '2001:db8:1::/64'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Subnet6 2001:db8:1::/64 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'MTU below 1280 with IPv6'; ErrorId = 'NatMtuInvalid'; Target = '1200'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Ipv6 -Mtu 1200 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a route through the host'; ErrorId = 'NatRouteInvalid'; Target = '192.0.2.0/24 via 198.18.10.1'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Route '192.0.2.0/24 via 198.18.10.1' -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a loopback route'; ErrorId = 'NatRouteInvalid'; Target = '127.0.0.0/8 via 198.18.10.7'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -Route '127.0.0.0/8 via 198.18.10.7' -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a forwarder that is a name'; ErrorId = 'NatDnsForwarderInvalid'; Target = 'ns1.example'; Command = { Enable-QemuNat -Name bad -Subnet 198.18.10.0/24 -DnsForwarder ns1.example -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop } }
    ) {
        $err = Get-Failure $Command
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        "$($err.TargetObject)" | Should -Be $Target
        $err.CategoryInfo.Category | Should -BeIn 'InvalidArgument', 'ResourceExists'
        Assert-AsItWas 'bad input changes nothing'
    }

    It 'refuses a taken prefix, a DNS name with bad characters and an IPv6 reservation off the prefix, changing nothing of the network' {
        $null = Enable-QemuNat -Name ok -Subnet 198.18.11.0/24 -Subnet6 2001:db8:11::/64 -NetworkNamespace $hostNs -Confirm:$false
        $before = Get-NamespaceSnapshot -Namespace $hostNs
        $record = Get-Content -Raw (Get-ChildItem (Join-Path $state 'nat') -Recurse -Filter ok.json).FullName
        $hosts = Get-Content -Raw (Get-ChildItem "$state-dnsmasq" -Recurse -Filter ok.hosts).FullName
        $taken = Get-Failure { Enable-QemuNat -Name ok2 -Subnet 198.18.12.0/24 -Subnet6 2001:db8:11::/64 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($taken.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatSubnet6Overlap'
        foreach ($name in 'bad name', 'files;reboot', "a`nserver=/x/203.0.113.9", 'under_score.lab') {
            $err = Get-Failure { Add-QemuNatDnsRecord -Network ok -Name $name -Address 198.18.11.20 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatDnsNameInvalid'
            $err.TargetObject | Should -Be $name
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
        $off = Get-Failure { Add-QemuNatReservation -Network ok -MacAddress 52:54:00:00:11:10 -IPAddress 198.18.11.10 -IPv6Address 2001:db8:99::10 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($off.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatReservationAddressInvalid'
        Compare-NamespaceSnapshot -Namespace $hostNs -Expected $before -Because 'refused changes change nothing'
        Get-Content -Raw (Get-ChildItem (Join-Path $state 'nat') -Recurse -Filter ok.json).FullName | Should -Be $record
        Get-Content -Raw (Get-ChildItem "$state-dnsmasq" -Recurse -Filter ok.hosts).FullName | Should -Be $hosts
        Disable-QemuNat -Name ok -NetworkNamespace $hostNs -Confirm:$false
        Assert-AsItWas 'after the refusals'
    }
}
