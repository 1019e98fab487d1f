# NAT networks on real parts, in namespaces the test makes: an "upstream" namespace with an HTTP server,
# joined by a veth pair to a "host" namespace where the module works (-NetworkNamespace). Guests boot on the
# NAT network and must get leases, reach upstream through masquerade, and be reachable through forwards.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the NAT tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'

    function Get-Snapshot {
        # Everything Enable may touch, as text: links, addresses, the whole ruleset, forwarding, dnsmasq processes.
        [pscustomobject]@{
            Links   = (& ip -n $hostNs -br link | Out-String)
            Addrs   = (& ip -n $hostNs -br addr | Out-String)
            Ruleset = (& ip netns exec $hostNs nft -s list ruleset | Out-String)
            Forward = (& ip netns exec $hostNs sysctl -n net.ipv4.ip_forward | Out-String)
            Dnsmasq = @(& pgrep -f "dnsmasq --conf-file=$state" 2>$null).Count
            Files   = @(Get-ChildItem (Join-Path $state 'nat'), "$state-dnsmasq" -Recurse -File -ErrorAction Ignore | Where-Object Name -ne '.lock').Count
        }
    }

    function Assert-Unchanged($Before) {
        $after = Get-Snapshot
        foreach ($p in 'Links', 'Addrs', 'Ruleset', 'Forward', 'Dnsmasq', 'Files') {
            $after.$p | Should -Be $Before.$p -Because "$p must be as it was"
        }
    }

}

Describe 'NAT networks in a namespace' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:hostNs = New-TestNamespace 'qnt-host'
        $script:upNs = New-TestNamespace 'qnt-up'
        $script:www = Join-Path $state 'upstream-www'
        Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot $www -HostLink qnup0
        # A table that is not ours: Disable must leave it byte for byte.
        "table inet foreign {`n`tchain fwdfilter {`n`t`ttype filter hook forward priority 10; policy accept;`n`t`tip saddr 198.51.100.0/24 accept`n`t}`n}`n" |
            & ip netns exec $hostNs nft -f -
        # A CGI on the upstream web server tells the client address it sees (masquerade check).
        $null = New-Item -ItemType Directory -Path (Join-Path $www 'cgi-bin')
        Set-Content (Join-Path $www 'cgi-bin/ip') "#!/bin/busybox sh`necho 'Content-type: text/plain'`necho`necho REMOTE=`$REMOTE_ADDR`n" -NoNewline
        & chmod 755 (Join-Path $www 'cgi-bin/ip')
        $script:initial = Get-Snapshot
    }
    AfterAll {
        Get-QemuNat -NetworkNamespace $hostNs -ErrorAction Ignore | Disable-QemuNat -Confirm:$false -ErrorAction Continue
        Remove-TestStateDirectory $state
        Remove-TestNamespace $hostNs
        Remove-TestNamespace $upNs
    }
    AfterEach {
        Remove-Item Env:QEMUNET_TEST_FAULT -ErrorAction Ignore
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    }

    It '-WhatIf prints the plan and leaves the namespace untouched' {
        $run = Invoke-ChildPwsh "Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -WhatIf"
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'What if: \[qn-lab\] Create bridge'
        $run.Output | Should -Match 'masquerade to :1024-65535'
        $run.Output | Should -Match 'bind-dynamic'
        Assert-Unchanged $initial
    }

    It 'rejects <Case> with <ErrorId> and changes nothing' -TestCases @(
        @{ Case = 'a subnet with host bits'; ErrorId = 'NatSubnetInvalid'; Target = '192.0.2.1/24'; Params = @{ Subnet = '192.0.2.1/24' } }
        @{ Case = 'a subnet that overlaps a route'; ErrorId = 'NatSubnetOverlap'; Target = '203.0.113.0/25'; Params = @{ Subnet = '203.0.113.0/25' } }
        @{ Case = 'a bridge name over 15 bytes'; ErrorId = 'NatBridgeNameInvalid'; Target = 'qemunet-bridge-01'; Params = @{ BridgeName = 'qemunet-bridge-01' } }
        @{ Case = 'a bridge name with $(…)'; ErrorId = 'NatBridgeNameInvalid'; Target = '$(reboot)'; Params = @{ BridgeName = '$(reboot)' } }
        @{ Case = 'a bridge name with a slash'; ErrorId = 'NatBridgeNameInvalid'; Target = 'br/0'; Params = @{ BridgeName = 'br/0' } }
        @{ Case = 'a bridge name that is a non-bridge link'; ErrorId = 'NatBridgeNameInUse'; Target = 'qnup0'; Params = @{ BridgeName = 'qnup0' } }
        @{ Case = 'a DHCP range outside the subnet'; ErrorId = 'NatDhcpRangeInvalid'; Target = '192.0.2.10-198.51.100.20'; Params = @{ DhcpRange = '192.0.2.10', '198.51.100.20' } }
        @{ Case = 'a DHCP range holding the gateway'; ErrorId = 'NatDhcpRangeInvalid'; Target = '192.0.2.1-192.0.2.20'; Params = @{ DhcpRange = '192.0.2.1', '192.0.2.20' } }
        @{ Case = 'an uplink name with a space'; ErrorId = 'NatUplinkInvalid'; Target = 'eth 0'; Params = @{ Uplink = 'eth 0' } }
    ) {
        $p = @{ Name = 'lab'; Subnet = '192.0.2.0/24'; NetworkNamespace = $hostNs; Confirm = $false }
        foreach ($key in $Params.Keys) { $p[$key] = $Params[$key] }
        $err = Get-Failure { Enable-QemuNat @p }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        $err.TargetObject | Should -Be $Target
        Assert-Unchanged $initial
    }

    It 'rejects a bad network name' {
        $err = Get-Failure { Enable-QemuNat -Name 'lab net' -NetworkNamespace $hostNs -Confirm:$false }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatNameInvalid'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Assert-Unchanged $initial
    }

    It 'undoes everything when a middle step fails' {
        $env:QEMUNET_TEST_FAULT = 'Install masquerade'
        $err = Get-Failure { Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HostStepFailed'
        $err.Exception.Message | Should -Match 'Install masquerade and forward rules'
        Assert-Unchanged $initial
    }

    It 'enables once; enabling again changes nothing' {
        $net = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false
        $net.State | Should -Be 'Active'
        $net.DnsmasqPid | Should -BeGreaterThan 0
        $net.Gateway | Should -Be '192.0.2.1'
        $bridge = Get-QemuBridge -Name qn-lab -NetworkNamespace $hostNs
        $bridge.Managed | Should -BeTrue
        $bridge.NatNetwork | Should -Be 'lab'
        $bridge.Addresses | Should -Be '192.0.2.1/24'
        & ip netns exec $hostNs sysctl -n net.ipv4.ip_forward | Should -Be '1'
        $once = Get-Snapshot
        $verbose = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match 'nothing to change'
        # A look at the links and one at the ruleset: every program the runner starts is a verbose line of its own;
        # nft's commands run in process through libnftables, each a "libnftables:" line.
        $programs = @($verbose.Message | Where-Object { $_ -match '^(ip|nft|sysctl|cat|dnsmasq) ' })
        $programs.Count | Should -BeLessOrEqual 2 -Because "a no-op Enable reads the host once: $($verbose.Message -join '; ')"
        @($verbose.Message -match '^(libnftables: )?nft -j list ruleset') | Should -HaveCount 1 -Because 'the ruleset is read once'
        $twice = Get-Snapshot
        $twice.Ruleset | Should -Be $once.Ruleset
        $twice.Dnsmasq | Should -Be 1
        ([regex]::Matches($twice.Ruleset, 'table inet qemunet_lab')).Count | Should -Be 1
    }

    It 'takes the network by name: Start-QemuVm -Network lab and Export-QemuIfupScript -Network lab' {
        # Both used to fail with a raw parameter-binding error: -Network took only an object.
        $run = Invoke-ChildPwsh "Start-QemuVm -Name byname -Network lab -NetworkNamespace $hostNs -Kernel '$kernel' -Initrd '$initrd' -Accelerator Tcg -WhatIf"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match "\[VM 'byname'\] Start QEMU"
        $run.Output | Should -Match '-netdev tap,id=net0' -Because 'the network by name gives the VM a NIC on a TAP'
        $ifupPath = Join-Path $state 'byname-ifup'
        Export-QemuIfupScript -Network lab -NetworkNamespace $hostNs -Path $ifupPath -Confirm:$false
        Get-Content -Raw $ifupPath | Should -Match "bridge='qn-lab'"
        Get-Content -Raw $ifupPath | Should -Match "network='lab'"
        Remove-Item $ifupPath
        $err = Get-Failure { Export-QemuIfupScript -Network nosuch -NetworkNamespace $hostNs -Path $ifupPath -Confirm:$false }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatNotFound'
        $err.TargetObject | Should -Be 'nosuch'
        Test-Path $ifupPath | Should -BeFalse
    }

    It 'gives a guest a lease; it pings its gateway and reaches upstream through masquerade' {
        $vm = Get-QemuNat -Name lab -NetworkNamespace $hostNs | New-QemuNic -Model virtio |
            Start-QemuVm -Name natguest -Kernel $kernel -Initrd $initrd -Accelerator Tcg -WaitForLease `
                -Append "$GuestAppend qn_hold=60 qn_ping=192.0.2.1 qn_fetch=http://203.0.113.2/cgi-bin/ip"
        $vm.NetworkNamespace | Should -Be $hostNs
        $tap = $vm.Nics[0].Backend.IfName
        & ip -n $hostNs -br link show master qn-lab | Should -Match $tap
        $lines = Wait-GuestConsole $vm
        $lease = $lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Match '^192\.0\.2\.\d+$' -Because ($lines -join "`n")
        $vm.IPAddress | Should -Be $lease.ip -Because '-WaitForLease returned the address dnsmasq handed out'
        (Get-QemuVm -Name natguest).IPAddress | Should -Be $lease.ip -Because 'the address is kept in the VM record (it used to be empty there)'
        $lease.router | Should -Be '192.0.2.1'
        $lines | Should -Contain 'QEMUNET-PING target=192.0.2.1 result=ok'
        ($lines | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match 'result=ok body=REMOTE=203\.0\.113\.1$'
        (Get-QemuNatLease -Network lab -NetworkNamespace $hostNs).MacAddress | Should -Contain $vm.Nics[0].MacAddress
        $busy = Get-Failure { Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($busy.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatInUse' -Because 'a guest is still on the bridge'
        $busy.Exception.Message | Should -Match $tap
        (Get-QemuNat -Name lab -NetworkNamespace $hostNs).State | Should -Be 'Active'
        $vm | Stop-QemuVm -Confirm:$false
        & ip -n $hostNs -br link | Should -Not -Match $tap -Because 'the TAP goes with the guest'
    }

    It 'a guest started with the NAT variant of the ifup script joins the network' {
        $up = Join-Path $state 'qemu-ifup-nat'
        Get-QemuNat -Name lab -NetworkNamespace $hostNs | Export-QemuIfupScript -Path $up
        Get-Content $up | Should -Contain "bridge='qn-lab'"
        $tap = Get-QemuNat -Name lab -NetworkNamespace $hostNs | New-QemuTap
        $tap.Bridge | Should -Be 'qn-lab' -Because 'a NAT network binds -Bridge by its BridgeName'
        $tap.NetworkNamespace | Should -Be $hostNs
        $vm = New-QemuTap -Script $up | New-QemuNic -Model virtio |
            Start-QemuVm -Name scriptnat -NetworkNamespace $hostNs -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=60"
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Match '^192\.0\.2\.\d+$'
        $vm | Stop-QemuVm -Confirm:$false
    }

    It 'gives a reserved address and forwards a port to it, from upstream and from the host itself' {
        $mac = '52:54:00:00:51:51'
        Add-QemuNatReservation -Network lab -MacAddress $mac -IPAddress 192.0.2.51 -HostName web -NetworkNamespace $hostNs -Confirm:$false |
            ForEach-Object IPAddress | Should -Be '192.0.2.51'
        $dnsmasqPid = (Get-QemuNat -Name lab -NetworkNamespace $hostNs).DnsmasqPid
        $null = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false
        (Get-QemuNat -Name lab -NetworkNamespace $hostNs).DnsmasqPid | Should -Be $dnsmasqPid -Because 'a reservation reloads dnsmasq; enabling again must not restart it'
        # A service of the host bound to loopback only: a forward without -HostAddress used to blackhole it.
        $localWww = Join-Path $state 'local-www'
        $null = New-Item -ItemType Directory -Path $localWww -Force
        Set-Content (Join-Path $localWww 'index.html') 'LOCAL-ONLY'
        & ip netns exec $hostNs busybox httpd -p 127.0.0.1:8080 -h $localWww
        $fwd = Add-QemuPortForward -Network lab -HostPort 8080 -GuestAddress $mac -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false
        $fwd.GuestAddress | Should -Be '192.0.2.51'
        (Get-QemuPortForward -Network lab -NetworkNamespace $hostNs).HostPort | Should -Be 8080

        $vm = Get-QemuNat -Name lab -NetworkNamespace $hostNs | New-QemuNic -Model e1000 -MacAddress $mac |
            Start-QemuVm -Name reserved -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=60"
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Be '192.0.2.51'
        (Get-QemuNatLease -Network lab -NetworkNamespace $hostNs | Where-Object MacAddress -eq $mac).Reserved | Should -BeTrue
        # Started without -WaitForLease: Get-QemuVm fills in the lease found later (it only reads).
        (Get-QemuVm -Name reserved).IPAddress | Should -Be '192.0.2.51'

        Invoke-HttpGet -Namespace $upNs -Address 203.0.113.1 -Port 8080 | Should -Match 'QEMUNET-HTTP-OK 192\.0\.2\.51'
        Invoke-HttpGet -Namespace $hostNs -Address 203.0.113.1 -Port 8080 | Should -Match 'QEMUNET-HTTP-OK 192\.0\.2\.51'
        Invoke-HttpGet -Namespace $hostNs -Address 127.0.0.1 -Port 8080 | Should -Match 'LOCAL-ONLY' -Because 'the loopback-only service keeps its port'
        & pkill -f "busybox httpd -p 127.0.0.1:8080"

        # A user-mode guest in the same namespace may not take the forwarded port: the DNAT would take its traffic.
        $err = Get-Failure { New-QemuUserNet -HostForward 8080:80 | Start-QemuVm -Name userclash -Kernel $kernel -Initrd $initrd -Accelerator Tcg -NetworkNamespace $hostNs -WhatIf }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmHostPortInUse'
        $err.Exception.Message | Should -Match "NAT network 'lab'"
        Get-QemuPortForward -Network lab -NetworkNamespace $hostNs | Remove-QemuPortForward -Confirm:$false
        Invoke-HttpGet -Namespace $upNs -Address 203.0.113.1 -Port 8080 | Should -Not -Match 'QEMUNET-HTTP-OK'
        Remove-QemuNatReservation -Network lab -MacAddress $mac -NetworkNamespace $hostNs -Confirm:$false
        (Get-Content (Join-Path $env:QEMUNET_DNSMASQ_DIR '*/lab.dhcp-hosts') -Raw) | Should -BeNullOrEmpty
        $vm | Stop-QemuVm -Confirm:$false
    }

    It 'rejects bad reservations and forwards with their own ids' {
        $before = Get-Snapshot
        $cases = @(
            @{ Id = 'NatReservationMacInvalid'; Do = { Add-QemuNatReservation lab 52:54:00:zz:00:01 192.0.2.60 -NetworkNamespace $hostNs -Confirm:$false } }
            @{ Id = 'NatReservationAddressInvalid'; Do = { Add-QemuNatReservation lab 52:54:00:00:00:61 198.51.100.5 -NetworkNamespace $hostNs -Confirm:$false } }
            @{ Id = 'NatReservationAddressInvalid'; Do = { Add-QemuNatReservation lab 52:54:00:00:00:62 192.0.2.1 -NetworkNamespace $hostNs -Confirm:$false } }
            @{ Id = 'NatForwardPortInvalid'; Do = { Add-QemuPortForward lab -HostPort 70000 -GuestAddress 192.0.2.9 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false } }
            @{ Id = 'NatForwardGuestInvalid'; Do = { Add-QemuPortForward lab -HostPort 8081 -GuestAddress 52:54:00:00:00:99 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false } }
            @{ Id = 'NatForwardHostAddressInvalid'; Do = { Add-QemuPortForward lab -HostAddress 'host;reboot' -HostPort 8081 -GuestAddress 192.0.2.9 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false } }
            @{ Id = 'NatNotFound'; Do = { Add-QemuPortForward nosuch -HostPort 8081 -GuestAddress 192.0.2.9 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false } }
        )
        foreach ($case in $cases) {
            $err = Get-Failure $case.Do
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $case.Id
        }
        Assert-Unchanged $before
    }

    It 'refuses a port forward that would take what is not its own, each with its id, and changes nothing' {
        $guest = @{ Network = 'lab'; GuestAddress = '192.0.2.9'; GuestPort = 80; NetworkNamespace = $hostNs; Confirm = $false }
        $null = Enable-QemuNat -Name lab2 -Subnet 198.18.0.0/24 -NetworkNamespace $hostNs -Confirm:$false
        $null = Add-QemuPortForward -Network lab2 -HostPort 8090 -GuestAddress 198.18.0.9 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false
        $vm = New-QemuUserNet -HostForward 18600:80 | Start-QemuVm -Name userfwd -Kernel $kernel -Initrd $initrd -Accelerator Tcg -NetworkNamespace $hostNs -Confirm:$false
        $listener = Start-Process -FilePath ip -ArgumentList @('netns', 'exec', $hostNs, 'busybox', 'nc', '-l', '-p', '18555') -PassThru
        try {
            Start-Sleep -Milliseconds 300
            # The last test's guest left qn-lab in AfterEach; the kernel marks a bridge without ports down only when
            # its link watch runs (up to a second later), which this fast a test used to beat.
            $settled = [datetime]::UtcNow.AddSeconds(3)
            while ((& ip netns exec $hostNs cat /sys/class/net/qn-lab/operstate) -ne 'down' -and [datetime]::UtcNow -lt $settled) { Start-Sleep -Milliseconds 100 }
            $before = Get-Snapshot
            $cases = @(
                @{ Id = 'NatForwardHostAddressLoopback'; Extra = @{ HostAddress = '127.0.0.1'; HostPort = 8091 } }
                @{ Id = 'NatForwardHostAddressNotUnicast'; Extra = @{ HostAddress = '0.0.0.0'; HostPort = 8091 } }
                @{ Id = 'NatForwardHostAddressNotUnicast'; Extra = @{ HostAddress = '255.255.255.255'; HostPort = 8091 } }
                @{ Id = 'NatForwardHijacksGuestService'; Extra = @{ Protocol = 'Udp'; HostPort = 53 } }
                @{ Id = 'NatForwardHijacksGuestService'; Extra = @{ HostPort = 53 } }
                @{ Id = 'NatForwardHijacksGuestService'; Extra = @{ Protocol = 'Udp'; HostPort = 67 } }
                # The same port on two networks: one DNAT would never match (it used to be accepted).
                @{ Id = 'NatForwardHostPortTaken'; Extra = @{ HostPort = 8090 } }
                @{ Id = 'NatForwardHostPortTaken'; Extra = @{ HostAddress = '203.0.113.1'; HostPort = 8090 } }
                @{ Id = 'NatForwardHostPortTaken'; Extra = @{ HostPort = 18600 } }
                @{ Id = 'NatForwardHostPortListening'; Extra = @{ HostPort = 18555 } }
            )
            foreach ($case in $cases) {
                $p = $guest + $case.Extra
                $err = Get-Failure { Add-QemuPortForward @p }
                ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $case.Id -Because ($case.Extra | Out-String)
                $err.TargetObject | Should -Not -BeNullOrEmpty
            }
            Assert-Unchanged $before
            # -Force takes a listener's port (and says nothing is wrong); it never takes another forward's.
            (Add-QemuPortForward @guest -HostPort 18555 -Force).HostPort | Should -Be 18555
            $err = Get-Failure { Add-QemuPortForward @guest -HostPort 8090 -Force }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatForwardHostPortTaken'
            Remove-QemuPortForward -Network lab -HostPort 18555 -NetworkNamespace $hostNs -Confirm:$false
        } finally {
            & kill $listener.Id 2>$null
            $vm | Remove-QemuVm -Force -Confirm:$false
            Disable-QemuNat -Name lab2 -NetworkNamespace $hostNs -Confirm:$false
        }
    }

    It 'reports drift and repairs it on the next Enable' {
        & ip netns exec $hostNs nft delete table inet qemunet_lab
        $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
        $net.State | Should -Be 'Degraded'
        $net.Drift | Should -Match 'qemunet_lab is missing'
        (Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false).State | Should -Be 'Active'
    }

    It 'warns about a foreign table that drops forwarded traffic' {
        "table ip dockerlike {`n`tchain FORWARD {`n`t`ttype filter hook forward priority 0; policy drop;`n`t}`n}`n" | & ip netns exec $hostNs nft -f -
        try {
            $warnings = @()
            $null = Enable-QemuNat -Name lab -Subnet 192.0.2.0/24 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
            ($warnings -join "`n") | Should -Match "table 'dockerlike' chain 'FORWARD' drops forwarded traffic"
            # A new forward says so too: its traffic would be dropped the same way.
            $warnings = @()
            $null = Add-QemuPortForward -Network lab -HostPort 8095 -GuestAddress 192.0.2.95 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
            ($warnings -join "`n") | Should -Match "port forwards to them get nothing through"
            Remove-QemuPortForward -Network lab -HostPort 8095 -NetworkNamespace $hostNs -Confirm:$false
        }
        finally { & ip netns exec $hostNs nft delete table ip dockerlike }
    }

    It 'Disable-QemuNat leaves the namespace exactly as it was, starting at most four programs' {
        $verbose = Get-QemuNat -Name lab -NetworkNamespace $hostNs | Disable-QemuNat -Confirm:$false -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        # One look at the links, one at the ruleset, the table's delete; the bridge goes over rtnetlink, by its index.
        $programs = @($verbose.Message | Where-Object { $_ -match '^(ip|nft|sysctl|cat|dnsmasq) ' })
        $programs.Count | Should -BeLessOrEqual 4 -Because "Disable reads the host once and deletes the bridge in process: $($programs -join '; ')"
        @($verbose.Message -match '^rtnetlink: deleted link qn-lab \(index \d+\)\.$') | Should -HaveCount 1
        Start-Sleep -Milliseconds 200
        Assert-Unchanged $initial
        Get-QemuNat -NetworkNamespace $hostNs | Should -BeNullOrEmpty
    }
}

Describe 'Routed and isolated networks' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:hostNs = New-TestNamespace 'qnt-mdh'
        $script:upNs = New-TestNamespace 'qnt-mdu'
        $script:www = Join-Path $state 'upstream-www'
        Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot $www -HostLink qnup0
        $null = New-Item -ItemType Directory -Path (Join-Path $www 'cgi-bin')
        Set-Content (Join-Path $www 'cgi-bin/ip') "#!/bin/busybox sh`necho 'Content-type: text/plain'`necho`necho REMOTE=`$REMOTE_ADDR`n" -NoNewline
        & chmod 755 (Join-Path $www 'cgi-bin/ip')
        $script:initial = Get-Snapshot

        function Start-ModeGuest([string]$Network, [string]$Name, [string]$Mac, [string]$Extra) {
            Get-QemuNat -Name $Network -NetworkNamespace $hostNs | New-QemuNic -Model virtio -MacAddress $Mac |
                Start-QemuVm -Name $Name -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=120 $Extra"
        }

        function Test-FromUpstream([string]$Address) {
            # busybox nc listens and connects over IPv4 here; a refused or dropped connection prints nothing.
            $reply = 'GET / HTTP/1.0', '', '' -join "`r`n" | & ip netns exec $upNs timeout 5 busybox nc $Address 80 2>$null
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

    It 'routed: upstream reaches the guest at its own address, and upstream sees the guest''s address, not the host''s' {
        $net = Enable-QemuNetwork -Name rt -Subnet 198.51.100.0/24 -Mode Routed -NetworkNamespace $hostNs -Confirm:$false -WarningVariable said -WarningAction SilentlyContinue
        $net.Mode | Should -Be 'Routed'
        "$said" | Should -Match 'routed: .*198\.51\.100\.0/24 to this host'
        (& ip netns exec $hostNs nft list table inet qemunet_rt | Out-String) | Should -Not -Match 'masquerade'
        # What the LAN's router would do: send the guests' subnet to this host.
        & ip -n $upNs route add 198.51.100.0/24 via 203.0.113.1
        $vm = Start-ModeGuest rt routed 52:54:00:00:51:10 'qn_fetch=http://203.0.113.2/cgi-bin/ip'
        $lines = Wait-GuestConsole $vm
        $lease = $lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Match '^198\.51\.100\.\d+$' -Because ($lines -join "`n")
        ($lines | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match "result=ok body=REMOTE=$([regex]::Escape($lease.ip))$" -Because 'no masquerade'
        Test-FromUpstream $lease.ip | Should -Match "QEMUNET-HTTP-OK $([regex]::Escape($lease.ip))"
        $vm | Stop-QemuVm -Confirm:$false
        & ip -n $upNs route del 198.51.100.0/24 via 203.0.113.1
        Disable-QemuNetwork -Name rt -NetworkNamespace $hostNs -Confirm:$false
        Assert-Unchanged $initial
    }

    It 'MTU: the bridge, the guest''s TAP and the guest''s interface (by DHCP option 26) get the network''s MTU' {
        $net = Enable-QemuNat -Name mtu -Subnet 198.18.6.0/24 -Mtu 1400 -NetworkNamespace $hostNs -Confirm:$false
        $net.Mtu | Should -Be 1400
        (& ip -n $hostNs -j link show dev qn-mtu | ConvertFrom-Json).mtu | Should -Be 1400
        # A port with a bigger MTU joins: the bridge keeps the MTU set by hand (given at creation, it would follow the port).
        & ip -n $hostNs link add qnt-mtuv type veth peer name qnt-mtup
        & ip -n $hostNs link set dev qnt-mtuv master qn-mtu
        (& ip -n $hostNs -j link show dev qn-mtu | ConvertFrom-Json).mtu | Should -Be 1400 -Because 'a 1500-byte port joined, and the bridge''s MTU was set by hand'
        & ip -n $hostNs link del qnt-mtuv
        $vm = Start-ModeGuest mtu mtuguest 52:54:00:00:06:10 ''
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.mtu | Should -Be '1400' -Because 'the guest applied option 26'
        (& ip -n $hostNs -j link show dev $vm.Nics[0].Backend.IfName | ConvertFrom-Json).mtu | Should -Be 1400
        $vm | Stop-QemuVm -TurnOff -Confirm:$false
        $bad = Get-Failure { Enable-QemuNat -Name mtu2 -Subnet 198.18.7.0/24 -Mtu 9001 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($bad.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatMtuInvalid'
        Disable-QemuNat -Name mtu -NetworkNamespace $hostNs -Confirm:$false
        Assert-Unchanged $initial
    }

    It 'isolated: two guests reach each other and the host''s DHCP, nothing beyond the host either way, and forwarding is not touched' {
        $forwardBefore = (& ip netns exec $hostNs sysctl -n net.ipv4.ip_forward | Out-String).Trim()
        $net = Enable-QemuNat -Name iso -Subnet 198.18.5.0/24 -Mode Isolated -NetworkNamespace $hostNs -Confirm:$false
        $net.Mode | Should -Be 'Isolated'
        (& ip netns exec $hostNs sysctl -n net.ipv4.ip_forward | Out-String).Trim() | Should -Be $forwardBefore
        # ip_forward=0 is what an isolated network wants: it used to be reported as drift (Degraded).
        $net.State | Should -Be 'Active' -Because "ip_forward is $forwardBefore and nothing drifted: $($net.Drift)"
        Add-QemuNatReservation -Network iso -MacAddress 52:54:00:00:05:10 -IPAddress 198.18.5.10 -NetworkNamespace $hostNs -Confirm:$false
        Add-QemuNatReservation -Network iso -MacAddress 52:54:00:00:05:11 -IPAddress 198.18.5.11 -NetworkNamespace $hostNs -Confirm:$false
        $err = Get-Failure { Add-QemuPortForward -Network iso -HostPort 18080 -GuestAddress 198.18.5.10 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatForwardIsolated'
        & ip -n $upNs route add 198.18.5.0/24 via 203.0.113.1

        $b = Start-ModeGuest iso isob 52:54:00:00:05:11 'qn_fetch=http://203.0.113.2/'
        # The second guest fetches the first's page: it starts once that page is served.
        $null = Wait-GuestConsole $b -Until 'QEMUNET-HTTP port=80'
        $a = Start-ModeGuest iso isoa 52:54:00:00:05:10 'qn_ping=203.0.113.2 qn_fetch=http://198.18.5.11/'
        $linesB = Wait-GuestConsole $b
        $linesA = Wait-GuestConsole $a
        ($linesA | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }).ip | Should -Be '198.18.5.10' -Because ($linesA -join "`n")
        ($linesB | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }).ip | Should -Be '198.18.5.11'
        ($linesA | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match 'result=ok body=QEMUNET-HTTP-OK 198\.18\.5\.11$' -Because 'guest to guest'
        $linesA | Should -Contain 'QEMUNET-PING target=203.0.113.2 result=fail'
        ($linesB | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match 'result=fail$' -Because 'nothing beyond the host'
        Test-FromUpstream 198.18.5.10 | Should -Not -Match 'QEMUNET-HTTP-OK' -Because 'nothing from beyond the host reaches in'
        Get-QemuVm | Stop-QemuVm -TurnOff -Confirm:$false
        & ip -n $upNs route del 198.18.5.0/24 via 203.0.113.1
        Disable-QemuNat -Name iso -NetworkNamespace $hostNs -Confirm:$false
        Assert-Unchanged $initial
    }
}

Describe 'Forwarding settings of every interface' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:fwdNs = New-TestNamespace 'qnt-fwd'
        & ip -n $fwdNs link add dum0 type veth peer name dum.7
        & ip -n $fwdNs link set lo up
    }
    AfterAll {
        Remove-TestStateDirectory $state
        Remove-TestNamespace $fwdNs
    }

    It 'Enable then Disable leaves every conf.*.forwarding as it was, mixed values included' {
        # Writing ip_forward rewrites every interface's own setting: lo and dum.7 used to come back 0.
        foreach ($key in 'net.ipv4.conf.lo.forwarding', 'net.ipv4.conf.dum/7.forwarding', 'net.ipv4.conf.default.forwarding') {
            & ip netns exec $fwdNs sysctl -q -w "$key=1"
        }
        $before = & ip netns exec $fwdNs sysctl net.ipv4.conf | Where-Object { $_ -match '\.forwarding = ' } | Out-String
        $before | Should -Match 'lo\.forwarding = 1'
        $before | Should -Match 'dum0\.forwarding = 0'
        & ip netns exec $fwdNs sysctl -n net.ipv4.ip_forward | Should -Be '0'
        $net = Enable-QemuNat -Name fwd -Subnet 198.51.100.0/24 -NetworkNamespace $fwdNs -Confirm:$false
        & ip netns exec $fwdNs sysctl -n net.ipv4.ip_forward | Should -Be '1'
        $net.InterfacesForwardingBefore | Should -Be @('default', 'dum.7', 'lo')
        Disable-QemuNat -Name fwd -NetworkNamespace $fwdNs -Confirm:$false
        & ip netns exec $fwdNs sysctl -n net.ipv4.ip_forward | Should -Be '0'
        & ip netns exec $fwdNs sysctl net.ipv4.conf | Where-Object { $_ -match '\.forwarding = ' } | Out-String | Should -Be $before
    }
}


Describe 'NAT uplinks that move, and drift that cuts guests off' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:hostNs = New-TestNamespace 'qnt-uph'
        $script:upNs = New-TestNamespace 'qnt-upu'
        Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot (Join-Path $state 'up-www')
        $script:enable = @{ Name = 'lab'; Subnet = '198.51.100.0/24'; Uplink = 'up0'; NetworkNamespace = $hostNs; Confirm = $false }

        function Start-NatGuest([string]$Name, [string]$Extra = '') {
            Start-QemuVm -Network lab -Name $Name -NetworkNamespace $hostNs -Kernel $kernel -Initrd $initrd -Accelerator Tcg `
                -Append "$GuestAppend qn_hold=600 qn_fetch=http://203.0.113.2/ $Extra".TrimEnd() -Confirm:$false
        }

        function Wait-LaterGuestLine($Vm, [int]$After, [string]$Pattern) {
            # A console line matching Pattern among those printed after the first After lines (qn_repeat prints more).
            $deadline = [datetime]::UtcNow.AddSeconds(90)
            while ([datetime]::UtcNow -lt $deadline) {
                $later = @(Get-Content $Vm.ConsoleLog | Where-Object { $_ -like 'QEMUNET-*' } | Select-Object -Skip $After)
                if ($later -match $Pattern) { return $true }
                Start-Sleep -Milliseconds 500
            }
            return $false
        }
    }
    AfterAll {
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
        Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Continue
        Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Force -Confirm:$false -ErrorAction Continue
        Remove-TestStateDirectory $state
        Remove-TestNamespace $hostNs
        Remove-TestNamespace $upNs
    }

    It 'refuses an uplink that does not exist, and changes nothing' {
        $before = & ip -n $hostNs -br link | Out-String
        # It used to be accepted (Active, no drift) while the guests never got out.
        $err = Get-Failure { Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Uplink nosuch0 -NetworkNamespace $hostNs -Confirm:$false }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NatUplinkNotFound'
        $err.TargetObject | Should -Be 'nosuch0'
        & ip -n $hostNs -br link | Out-String | Should -Be $before
        Get-QemuNat -NetworkNamespace $hostNs | Should -BeNullOrEmpty
    }

    It 'follows an uplink that became a bridge port: drift, a warning, and a new guest gets out after the next Enable' {
        $null = Enable-QemuNat @enable
        $first = Start-NatGuest 'first'
        (Wait-GuestConsole $first | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match 'result=ok body=UPSTREAM-OK'
        $warnings = @()
        $null = New-QemuBridge -Name br0 -Uplink up0 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -Match "NAT network 'lab' masquerades on up0"
        $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
        $net.State | Should -Be 'Degraded' -Because 'the masquerade on up0 no longer matches (it used to show no drift)'
        ($net.Drift -join "`n") | Should -Match 'uplink up0 is now a port of bridge br0'
        (Test-QemuNetHost -NetworkNamespace $hostNs | Where-Object Check -eq 'NAT uplinks').Status | Should -Be 'Warning'

        (Enable-QemuNat @enable).State | Should -Be 'Active'
        (& ip netns exec $hostNs nft list table inet qemunet_lab | Out-String) | Should -Match 'oifname \{ "up0", "br0" \}'
        (Test-QemuNetHost -NetworkNamespace $hostNs | Where-Object Check -eq 'NAT uplinks').Status | Should -Be 'Ok'
        $second = Start-NatGuest 'second'
        (Wait-GuestConsole $second | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match 'result=ok body=UPSTREAM-OK'
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    }

    It 'reports a bridge set down and a bridge deleted under a running guest, and Enable repairs both' {
        $null = Enable-QemuNat @enable
        $vm = Start-NatGuest 'cutoff' 'qn_repeat=3'
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease.ip | Should -Match '^198\.51\.100\.'
        $tap = $vm.Nics[0].Backend.IfName
        $null = Add-QemuPortForward -Network lab -HostAddress 203.0.113.1 -HostPort 8081 -GuestAddress $lease.ip -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false
        Invoke-HttpGet -Namespace $upNs -Address 203.0.113.1 -Port 8081 | Should -Match 'QEMUNET-HTTP-OK'

        & ip -n $hostNs link set qn-lab down
        $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
        $net.State | Should -Be 'Degraded' -Because 'a bridge that is down used to be reported Active'
        ($net.Drift -join "`n") | Should -Match 'qn-lab is down'
        (Enable-QemuNat @enable).State | Should -Be 'Active'
        Invoke-HttpGet -Namespace $upNs -Address 203.0.113.1 -Port 8081 | Should -Match 'QEMUNET-HTTP-OK'

        & ip -n $hostNs link del qn-lab
        $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
        ($net.Drift -join "`n") | Should -Match "TAP $tap of the running VM 'cutoff' is not on qn-lab"
        # Enable used to recreate the bridge without the guest's TAP: Active, and the guest cut off.
        (Enable-QemuNat @enable).State | Should -Be 'Active'
        (& ip -n $hostNs -br link show master qn-lab | Out-String) | Should -Match $tap
        & ip netns exec $hostNs busybox ping -c 1 -W 3 $lease.ip *> $null
        $LASTEXITCODE | Should -Be 0 -Because 'the host reaches the guest again'
        Invoke-HttpGet -Namespace $upNs -Address 203.0.113.1 -Port 8081 | Should -Match 'QEMUNET-HTTP-OK'
        # The guest itself: its next DHCP round gets the lease again and its next fetch reaches upstream.
        $seen = @(Get-Content $vm.ConsoleLog | Where-Object { $_ -like 'QEMUNET-*' }).Count
        Wait-LaterGuestLine $vm $seen "^QEMUNET-LEASE name=eth0 ip=$([regex]::Escape($lease.ip)) " | Should -BeTrue -Because 'the guest renews its lease after the repair'
        Wait-LaterGuestLine $vm $seen '^QEMUNET-FETCH .*result=ok body=UPSTREAM-OK' | Should -BeTrue -Because 'the guest reaches upstream again'
        $vm | Remove-QemuVm -Force -Confirm:$false
    }

    It 'points Remove-QemuBridge of a NAT bridge to Disable-QemuNat, and Disable-QemuNat -PassThru says Removed' {
        $null = Enable-QemuNat @enable
        $err = Get-Failure { Remove-QemuBridge -Name qn-lab -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeOfNatNetwork' -Because "it used to advise 'ip link del', which breaks the network"
        $err.ErrorDetails.RecommendedAction | Should -Match 'Disable-QemuNat -Name lab'
        (Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Confirm:$false -PassThru).State | Should -Be 'Removed'
    }
}
