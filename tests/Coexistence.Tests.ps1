# Coexistence: QemuNet in a namespace that already runs Docker (the tables iptables-nft leaves in the kernel: filter
# FORWARD policy drop with DOCKER-USER and DOCKER-ISOLATION-STAGE-1/2, nat DOCKER; ip6 filter as Docker 27 makes it),
# libvirt (its nftables backend's table) and a foreign dnsmasq serving DHCP and DNS on its own bridge to a client in
# another namespace. Apply (Enable-QemuNat, a reservation, a port forward), a guest's lease and remove (stop the guest,
# Disable-QemuNat) must leave each of them byte for byte; the warning about Docker's drop must print a fix that works
# when pasted, and removing that fix leaves Docker's tables as they were.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the coexistence tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'
    $script:guestMac = '52:54:00:00:c0:51'
    $script:guestIp = '192.0.2.51'
    $script:clientMac = '02:00:00:00:50:10'

    # Docker's rules as iptables-nft writes them (native expressions, a counter on every rule), docker0 on 198.18.17.0/24.
    $script:dockerTables = @'
table ip filter {
	chain INPUT {
		type filter hook input priority filter; policy accept;
	}
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
		counter jump DOCKER-USER
		counter jump DOCKER-ISOLATION-STAGE-1
		oifname "docker0" ct state related,established counter accept
		oifname "docker0" counter jump DOCKER
		iifname "docker0" oifname != "docker0" counter accept
		iifname "docker0" oifname "docker0" counter accept
	}
	chain OUTPUT {
		type filter hook output priority filter; policy accept;
	}
	chain DOCKER {
	}
	chain DOCKER-ISOLATION-STAGE-1 {
		iifname "docker0" oifname != "docker0" counter jump DOCKER-ISOLATION-STAGE-2
		counter return
	}
	chain DOCKER-ISOLATION-STAGE-2 {
		oifname "docker0" counter drop
		counter return
	}
	chain DOCKER-USER {
		counter return
	}
}
table ip nat {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter jump DOCKER
	}
	chain OUTPUT {
		type nat hook output priority -100; policy accept;
		ip daddr != 127.0.0.0/8 fib daddr type local counter jump DOCKER
	}
	chain POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		oifname != "docker0" ip saddr 198.18.17.0/24 counter masquerade
	}
	chain DOCKER {
		iifname "docker0" counter return
	}
}
table ip6 filter {
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
		counter jump DOCKER-USER
	}
	chain DOCKER-USER {
		counter return
	}
}
'@
    # libvirt's nftables backend for a NAT network on virbr0 (198.18.122.0/24): its own table, forward policy accept.
    $script:libvirtTable = @'
table ip libvirt_network {
	chain forward {
		type filter hook forward priority filter; policy accept;
		counter jump guest_cross
		counter jump guest_input
		counter jump guest_output
	}
	chain guest_output {
		ip saddr 198.18.122.0/24 iif "virbr0" counter accept
		iif "virbr0" counter reject
	}
	chain guest_input {
		oif "virbr0" ip daddr 198.18.122.0/24 ct state established,related counter accept
		oif "virbr0" counter reject
	}
	chain guest_cross {
		iif "virbr0" oif "virbr0" counter accept
	}
	chain guest_nat {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 198.18.122.0/24 ip daddr 224.0.0.0/24 counter return
		ip saddr 198.18.122.0/24 ip daddr 255.255.255.255 counter return
		meta l4proto tcp ip saddr 198.18.122.0/24 ip daddr != 198.18.122.0/24 counter masquerade to :1024-65535
		meta l4proto udp ip saddr 198.18.122.0/24 ip daddr != 198.18.122.0/24 counter masquerade to :1024-65535
		ip saddr 198.18.122.0/24 ip daddr != 198.18.122.0/24 counter masquerade
	}
	chain postroute_mangle {
		type filter hook postrouting priority filter; policy accept;
	}
}
'@

    function Get-ForeignState {
        # Everything that belongs to the others, as text: their tables, the foreign dnsmasq (pid, command line, files) and its bridge.
        $dnsmasqPid = [int](Get-Content $foreign.PidFile -Raw)
        [pscustomobject]@{
            Docker      = (@('ip filter', 'ip nat', 'ip6 filter') | ForEach-Object { & ip netns exec $hostNs nft -s list table @($_ -split ' ') } | Out-String)
            Libvirt     = (& ip netns exec $hostNs nft -s list table ip libvirt_network | Out-String)
            DnsmasqPid  = $dnsmasqPid
            DnsmasqLive = Test-ProcessRunning $dnsmasqPid
            DnsmasqArgv = (Get-Content "/proc/$dnsmasqPid/cmdline" -Raw -ErrorAction Ignore)
            Files       = (@($foreign.Conf, $foreign.PidFile, $foreign.Leases) | ForEach-Object { "== $_"; [Convert]::ToBase64String([IO.File]::ReadAllBytes($_)) } | Out-String)
            # The bridge's own settings without its running timers.
            Bridge      = (@(& ip -n $hostNs -d link show fbr0) + @(& ip -n $hostNs addr show fbr0) + @(& ip -n $hostNs -br link show master fbr0) |
                ForEach-Object { $_ -replace '\b\w+_timer\s+\S+', '' } | Out-String)
        }
    }

    function Assert-ForeignUnchanged([string]$Because) {
        $now = Get-ForeignState
        foreach ($p in $foreignBefore.PSObject.Properties.Name) {
            $now.$p | Should -Be $foreignBefore.$p -Because "the foreign $p must be as it was ($Because)"
        }
    }

    function Get-ForeignLease {
        # The client on the foreign bridge asks for a lease (udhcpc, no script: it only reports); returns address and server.
        $out = & ip netns exec $cliNs busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 -s /bin/true 2>&1 | Out-String
        if ($out -match 'lease of (\S+) obtained from (\S+),') { return [pscustomobject]@{ IPAddress = $Matches[1]; Server = $Matches[2] } }
        throw "the foreign client got no lease: $out"
    }

    function Resolve-ForeignName {
        # The foreign dnsmasq's own name, asked of it by the foreign client.
        $out = & ip netns exec $cliNs busybox nslookup foreign.test 198.18.50.1 2>&1 | Out-String
        if ($out -match 'Name:\s+foreign\.test\s+Address:\s+(\S+)') { return $Matches[1] }
        return $out
    }

    function Invoke-UpstreamGet([string]$Address, [int]$Port) {
        # An HTTP GET from upstream, with a short wait: a dropped connection must not cost long.
        "GET / HTTP/1.0`r`n`r`n" | & ip netns exec $upNs busybox nc -w 3 $Address $Port 2>&1 | Out-String
    }

    function Enable-CoexNetwork {
        # "Apply": the network, a reservation for the guest and a port forward to it; returns the warnings it printed.
        $warnings = @()
        $net = Enable-QemuNat -Name coex -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable +warnings -WarningAction SilentlyContinue
        $net.State | Should -Be 'Active'
        $null = Add-QemuNatReservation -Network coex -MacAddress $guestMac -IPAddress $guestIp -HostName coexguest -NetworkNamespace $hostNs -Confirm:$false
        $fwd = Add-QemuPortForward -Network coex -HostPort 8080 -GuestAddress $guestMac -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable +warnings -WarningAction SilentlyContinue
        $fwd.GuestAddress | Should -Be $guestIp
        return @($warnings | ForEach-Object { "$_" })
    }

    function Start-CoexGuest([string]$Append) {
        Get-QemuNat -Name coex -NetworkNamespace $hostNs | New-QemuNic -Model virtio -MacAddress $guestMac |
            Start-QemuVm -Name coexguest -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend $Append" -Confirm:$false
    }

    function Remove-CoexNetwork {
        # "Remove": the guest stops, then Disable-QemuNat takes the network away.
        Get-QemuVm | Stop-QemuVm -TurnOff -Confirm:$false
        Disable-QemuNat -Name coex -NetworkNamespace $hostNs -Confirm:$false
    }

    function Wait-GuestLine($Vm, [int]$After, [string]$Pattern, [int]$TimeoutSec = 60) {
        # The first console line matching Pattern among those printed after the first After QEMUNET lines, or $null.
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
        while ([datetime]::UtcNow -lt $deadline) {
            $later = @(Get-Content $Vm.ConsoleLog -ErrorAction Ignore | Where-Object { $_ -like 'QEMUNET-*' } | Select-Object -Skip $After)
            if ($found = $later -match $Pattern) { return $found[0] }
            Start-Sleep -Milliseconds 250
        }
        return $null
    }
}

Describe 'A NAT network beside Docker, libvirt and a foreign dnsmasq' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:hostNs = New-TestNamespace 'qnt-cox'
        $script:upNs = New-TestNamespace 'qnt-coxu'
        $script:cliNs = New-TestNamespace 'qnt-coxc'
        Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot (Join-Path $state 'upstream-www')

        # Docker's bridge and forwarding, libvirt's bridge, then their tables (libvirt's iif/oif need virbr0 to exist).
        foreach ($bridge in @{ Name = 'docker0'; Address = '198.18.17.1/24' }, @{ Name = 'virbr0'; Address = '198.18.122.1/24' }, @{ Name = 'fbr0'; Address = '198.18.50.1/24' }) {
            & ip -n $hostNs link add $bridge.Name type bridge
            & ip -n $hostNs addr add $bridge.Address dev $bridge.Name
            & ip -n $hostNs link set $bridge.Name up
        }
        & ip netns exec $hostNs sysctl -q -w net.ipv4.ip_forward=1
        $dockerTables | & ip netns exec $hostNs nft -f -
        $LASTEXITCODE | Should -Be 0
        $libvirtTable | & ip netns exec $hostNs nft -f -
        $LASTEXITCODE | Should -Be 0

        # The foreign dnsmasq: its own folder, bound to fbr0 only, leases that never expire (so a renewal rewrites the same bytes).
        $dir = "$state-foreign"
        $null = New-Item -ItemType Directory -Path $dir
        $script:foreign = [pscustomobject]@{ Dir = $dir; Conf = "$dir/dnsmasq.conf"; PidFile = "$dir/dnsmasq.pid"; Leases = "$dir/dnsmasq.leases" }
        Set-Content -Path $foreign.Conf -Value @(
                '# The host''s own dnsmasq, not QemuNet''s.'
                "pid-file=$($foreign.PidFile)"
                "dhcp-leasefile=$($foreign.Leases)"
                'interface=fbr0'
                'bind-interfaces'
                'no-resolv'
                'no-hosts'
                'address=/foreign.test/198.18.50.99'
                'dhcp-range=198.18.50.10,198.18.50.50,255.255.255.0,infinite'
                'dhcp-authoritative'
            )
        & ip netns exec $hostNs dnsmasq "--conf-file=$($foreign.Conf)"
        $LASTEXITCODE | Should -Be 0
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while (-not (Test-Path $foreign.PidFile) -or -not (Get-Content $foreign.PidFile -Raw) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }

        # Its client, in a namespace of its own on a port of fbr0, with a lease and the address from it.
        & ip link add fcl0 netns $hostNs type veth peer name eth0 netns $cliNs
        & ip -n $hostNs link set fcl0 master fbr0
        & ip -n $hostNs link set fcl0 up
        & ip -n $cliNs link set eth0 address $clientMac
        & ip -n $cliNs link set eth0 up
        $script:clientLease = Get-ForeignLease
        $clientLease.Server | Should -Be '198.18.50.1'
        & ip -n $cliNs addr add "$($clientLease.IPAddress)/24" dev eth0
        Resolve-ForeignName | Should -Be '198.18.50.99'

        $script:foreignBefore = Get-ForeignState
        $foreignBefore.DnsmasqLive | Should -BeTrue
        Get-Content $foreign.Leases -Raw | Should -Match "^0 $clientMac $([regex]::Escape($clientLease.IPAddress)) " -Because 'the client''s lease never expires'
        $script:initial = Get-NamespaceSnapshot -Namespace $hostNs
    }
    AfterAll {
        Get-QemuVm -ErrorAction Ignore | Remove-QemuVm -Force -Confirm:$false -ErrorAction Continue
        Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
        if ($foreign -and (Test-Path $foreign.PidFile)) { & kill ([int](Get-Content $foreign.PidFile -Raw)) 2>$null }
        Remove-TestStateDirectory $state
        Remove-Item "$state-foreign" -Recurse -Force -ErrorAction Ignore
        Remove-TestNamespace $cliNs
        Remove-TestNamespace $upNs
        Remove-TestNamespace $hostNs
    }

    It 'apply, a guest lease and remove leave Docker, libvirt and the foreign dnsmasq byte for byte' {
        $cycles = if (Test-StressRun) { 5 } else { 1 }
        $failures = [Collections.Generic.List[string]]::new()
        foreach ($cycle in 1..$cycles) {
            try {
                $null = Enable-CoexNetwork
                $net = Get-QemuNat -Name coex -NetworkNamespace $hostNs
                $net.DnsmasqPid | Should -Not -Be $foreignBefore.DnsmasqPid -Because 'QemuNet starts a dnsmasq of its own'
                Assert-ForeignUnchanged 'while the network is up'

                $vm = Start-CoexGuest 'qn_hold=120'
                $lease = Wait-GuestConsole $vm -Until 'QEMUNET-LEASE' | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
                $lease.ip | Should -Be $guestIp -Because 'the guest gets its reservation from QemuNet''s dnsmasq'
                $lease.router | Should -Be '192.0.2.1'
                $lease.dns | Should -Be '192.0.2.1'
                (Get-QemuNatLease -Network coex -NetworkNamespace $hostNs).MacAddress | Should -Be @($guestMac)
                Get-Content $foreign.Leases -Raw | Should -Not -Match $guestMac -Because 'the foreign dnsmasq never answers the guest'

                # The other way: the foreign client still gets its own lease and names from the foreign dnsmasq.
                $again = Get-ForeignLease
                $again.IPAddress | Should -Be $clientLease.IPAddress
                $again.Server | Should -Be '198.18.50.1'
                Resolve-ForeignName | Should -Be '198.18.50.99'
                (Get-QemuNatLease -Network coex -NetworkNamespace $hostNs).MacAddress | Should -Not -Contain $clientMac

                Remove-CoexNetwork
                Assert-ForeignUnchanged "after apply, lease and remove, cycle $cycle"
                Compare-NamespaceSnapshot -Namespace $hostNs -Expected $initial -Because "cycle $cycle"
            } catch {
                $failures.Add("cycle ${cycle}: $_")
                Get-QemuVm | Remove-QemuVm -Force -Confirm:$false -ErrorAction Continue
                Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
            }
        }
        Write-StressResult -Area Coexistence -Case 'apply, guest lease, remove beside Docker, libvirt, dnsmasq' -Runs $cycles -Failures $failures.Count -Detail ($failures | Select-Object -First 1)
        $failures | Should -BeNullOrEmpty
    }

    It 'warns about Docker''s FORWARD drop with a fix that works when pasted, and removing the fix leaves Docker''s tables as they were' {
        $failure = $null
        try {
            $warnings = Enable-CoexNetwork
            $expectedFix = "ip netns exec $hostNs nft insert rule ip filter DOCKER-USER 'iifname `"qn-coex`" accept'; " +
                "ip netns exec $hostNs nft insert rule ip filter DOCKER-USER 'oifname `"qn-coex`" accept'"
            $warnings.Count | Should -Be 2 -Because 'Enable and the new port forward each say it once, for ip filter only'
            foreach ($w in $warnings) {
                $w | Should -Match "The ip table 'filter' chain 'FORWARD' drops forwarded traffic"
                $w | Should -Not -Match 'ip6' -Because 'an IPv6 drop never sees the IPv4 NAT network'
                $w | Should -Match ([regex]::Escape('iptables -I DOCKER-USER -i qn-coex -j ACCEPT'))
                $w | Should -BeLike "*Fix, as root: $expectedFix"
            }
            (Test-QemuNetHost -NetworkNamespace $hostNs | Where-Object Check -eq 'Forward drop policy').Fix | Should -Match ([regex]::Escape("nft insert rule ip filter DOCKER-USER 'iifname `"qn-*`" accept'"))

            # Under the drop: the guest gets its lease (DHCP is input, not forward), but nothing goes through.
            $vm = Start-CoexGuest 'qn_hold=300 qn_repeat=2 qn_fetch=http://203.0.113.2/'
            Wait-GuestLine $vm 0 '^QEMUNET-LEASE ' | Should -Match "ip=$([regex]::Escape($guestIp)) "
            Wait-GuestLine $vm 0 '^QEMUNET-FETCH ' | Should -Match 'result=fail' -Because 'Docker''s FORWARD policy drops the guest''s upstream traffic'
            Invoke-UpstreamGet 203.0.113.1 8080 | Should -Not -Match 'QEMUNET-HTTP-OK' -Because 'the drop takes the forwarded port too'

            # The fix exactly as printed, pasted into a shell.
            & sh -c ($warnings[0] -split 'Fix, as root: ')[1]
            $LASTEXITCODE | Should -Be 0
            $seen = @(Get-Content $vm.ConsoleLog | Where-Object { $_ -like 'QEMUNET-*' }).Count
            Wait-GuestLine $vm $seen '^QEMUNET-FETCH .*result=ok' | Should -Match 'body=UPSTREAM-OK' -Because 'with the fix the guest reaches upstream'
            Invoke-UpstreamGet 203.0.113.1 8080 | Should -Match "QEMUNET-HTTP-OK $([regex]::Escape($guestIp))"
            # The fix opens nothing QemuNet's own table refuses: upstream still cannot reach the guest unasked.
            & ip -n $upNs route add 192.0.2.0/24 via 203.0.113.1
            try { Invoke-UpstreamGet $guestIp 80 | Should -Not -Match 'QEMUNET-HTTP-OK' -Because 'QemuNet''s table rejects what the guest did not open' }
            finally { & ip -n $upNs route del 192.0.2.0/24 via 203.0.113.1 }

            # The admin takes the fix out again (by handle, as nft deletes rules): Docker's tables are as they were.
            $handles = @(& ip netns exec $hostNs nft -a list chain ip filter DOCKER-USER | Where-Object { $_ -match '^\s*[io]ifname "qn-coex" accept # handle (\d+)' } | ForEach-Object { $Matches[1] })
            $handles.Count | Should -Be 2
            foreach ($h in $handles) { & ip netns exec $hostNs nft delete rule ip filter DOCKER-USER handle $h }
            Remove-CoexNetwork
            Assert-ForeignUnchanged 'after the fix was applied and taken out'
            Compare-NamespaceSnapshot -Namespace $hostNs -Expected $initial
        } catch {
            $failure = $_
            Get-QemuVm | Remove-QemuVm -Force -Confirm:$false -ErrorAction Continue
            Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Force -Confirm:$false -ErrorAction Continue
        }
        Write-StressResult -Area Coexistence -Case 'Docker FORWARD drop: warning, pasted fix, fix removed' -Runs 1 -Failures ([int][bool]$failure) -Detail "$failure"
        if ($failure) { throw $failure }
    }
}
