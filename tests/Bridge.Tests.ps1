# Bridged networking (seed 4.1) on real parts, in namespaces the test makes: a "LAN" namespace with a DHCP
# server (dnsmasq) and an HTTP server, joined by a veth pair to a "host" namespace whose end plays eth0 (an
# address, a default route, a static route, an IPv6 address). The module bridges eth0 there; guests on that
# bridge must get their lease from the LAN's DHCP server and fetch the LAN page: true bridging, no NAT.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the bridge tests: $skip" }
    $noTestUser = -not (Get-TestUser)
    if (-not $skip -and $noTestUser) { Write-Warning 'Skipping the non-root bridge helper test: no unprivileged test user (build.ps1 -Task Test makes one when run as root).' }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:kernel = Join-Path $GuestDir 'vmlinuz'
    $script:initrd = Join-Path $GuestDir 'initrd.img'
    $script:fetchLan = "$GuestAppend qn_hold=60 qn_fetch=http://198.51.100.1/"

    function Get-Uplink {
        # eth0 as the host namespace sees it: addresses and every route through it, IPv4 and IPv6.
        [pscustomobject]@{
            Addrs  = (& ip -n $hostNs -br addr show dev eth0 | Out-String) -replace '\s+', ' '
            Routes = (& ip -n $hostNs route show dev eth0 | Out-String) + (& ip -n $hostNs -6 route show dev eth0 | Out-String)
        }
    }

    function Get-Snapshot {
        [pscustomobject]@{
            Links  = (& ip -n $hostNs -br link | Out-String)
            Addrs  = (& ip -n $hostNs -br addr | Out-String)
            Routes = (& ip -n $hostNs route | Out-String) + (& ip -n $hostNs -6 route | Out-String)
            Files  = @(Get-ChildItem (Join-Path $state 'bridge') -Recurse -File -ErrorAction Ignore | Where-Object Name -ne '.lock').Count
        }
    }

    function Assert-Unchanged($Before) {
        $after = Get-Snapshot
        foreach ($p in 'Links', 'Addrs', 'Routes', 'Files') { $after.$p | Should -Be $Before.$p -Because "$p must be as it was" }
    }


    function Test-HostReachesLan {
        & ip netns exec $hostNs busybox ping -c 1 -W 2 198.51.100.1 *> $null
        $LASTEXITCODE -eq 0
    }

    function Assert-GuestOnLan($Vm) {
        $lines = Wait-GuestConsole $Vm
        $lease = $lines | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease | Should -Not -BeNullOrEmpty -Because "the guest reports its lease`n$(Get-Content -Raw $Vm.ConsoleLog)"
        $lease.ip | Should -Match '^198\.51\.100\.1[0-4]\d$' -Because "the LAN's dnsmasq hands out .100-.149`n$($lines -join "`n")"
        $lease.router | Should -Be '198.51.100.1'
        ($lines | Where-Object { $_ -like 'QEMUNET-FETCH *' }) | Should -Match 'result=ok body=LAN-OK$'
        # The LAN server gave the lease to this guest's MAC: it is on the LAN's layer 2, not behind NAT.
        Get-Content $lanLeases -Raw | Should -Match ([regex]::Escape($Vm.Nics[0].MacAddress))
    }
}

Describe 'Bridges with an uplink, TAPs, ifup scripts and the bridge helper' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:hostNs = New-TestNamespace 'qnt-host'
        $script:lanNs = New-TestNamespace 'qnt-lan'
        & ip link add eth0 netns $hostNs type veth peer name lan0 netns $lanNs
        & ip -n $lanNs addr add 198.51.100.1/24 dev lan0
        & ip -n $lanNs -6 addr add 2001:db8::1/64 dev lan0 nodad
        & ip -n $lanNs link set lan0 up
        & ip -n $hostNs link set eth0 up
        & ip -n $hostNs addr add 198.51.100.2/24 dev eth0
        & ip -n $hostNs -6 addr add 2001:db8::2/64 dev eth0 nodad
        & ip -n $hostNs route add default via 198.51.100.1
        & ip -n $hostNs route add 203.0.113.0/24 via 198.51.100.1 proto static metric 50
        & ip -n $hostNs -6 route add default via 2001:db8::1 dev eth0

        $script:lanLeases = Join-Path $state 'lan.leases'
        & ip netns exec $lanNs dnsmasq --conf-file=/dev/null --port=0 --interface=lan0 --bind-interfaces --user=root `
            --dhcp-range=198.51.100.100,198.51.100.149,255.255.255.0,1h --dhcp-option=option:router,198.51.100.1 `
            "--dhcp-leasefile=$lanLeases" "--pid-file=$(Join-Path $state 'lan-dnsmasq.pid')"
        $script:www = Join-Path $state 'lan-www'
        $null = New-Item -ItemType Directory -Path $www
        Set-Content (Join-Path $www 'index.html') 'LAN-OK'
        & ip netns exec $lanNs busybox httpd -p 198.51.100.1:80 -h $www

        # The helper reads /etc/qemu/bridge.conf, a file of the machine: keep it to put back afterwards.
        $script:aclPath = '/etc/qemu/bridge.conf'
        $script:aclBefore = if (Test-Path $aclPath) { Get-Content $aclPath -Raw } else { $null }
        $script:aclDirExisted = Test-Path (Split-Path $aclPath)
        $script:uplinkBefore = Get-Uplink
        $script:initial = Get-Snapshot
    }
    AfterAll {
        Get-QemuVm -ErrorAction Ignore | Stop-QemuVm -Confirm:$false -TurnOff -ErrorAction Continue
        if ($null -eq $aclBefore) { Remove-Item $aclPath -ErrorAction Ignore } else { Set-Content $aclPath $aclBefore -NoNewline }
        if (-not $aclDirExisted) { Remove-Item (Split-Path $aclPath) -Recurse -ErrorAction Ignore }
        Remove-TestStateDirectory $state
        Remove-TestNamespace $hostNs
        Remove-TestNamespace $lanNs
    }
    AfterEach {
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    }

    It 'the host namespace reaches the LAN before any change' {
        Test-HostReachesLan | Should -BeTrue
        (Invoke-HttpGet -Namespace $hostNs -Address 198.51.100.1 -Port 80) | Should -Match 'LAN-OK'
    }

    It '-WhatIf prints the uplink move and changes nothing' {
        $run = Invoke-ChildPwsh "New-QemuBridge -Name br0 -Uplink eth0 -NetworkNamespace $hostNs -WhatIf"
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'What if: \[br0\] Create bridge'
        $run.Output | Should -Match 'Make eth0 a port of br0 and move its addresses \(198\.51\.100\.2/24, 2001:db8::2/64\)'
        $run.Output | Should -Match 'ip route add default via 198\.51\.100\.1 dev br0'
        Assert-Unchanged $initial
    }

    It 'rejects <Case> with <ErrorId> and changes nothing' -TestCases @(
        @{ Case = 'a bridge name that is a non-bridge link'; ErrorId = 'BridgeNameInUse'; Target = 'eth0'; Params = @{ Name = 'eth0' } }
        @{ Case = 'a bridge name over 15 bytes'; ErrorId = 'BridgeNameInvalid'; Target = 'bridge-name-too-long'; Params = @{ Name = 'bridge-name-too-long' } }
        @{ Case = 'a bridge name with $(…)'; ErrorId = 'BridgeNameInvalid'; Target = '$(reboot)'; Params = @{ Name = '$(reboot)' } }
        @{ Case = 'an uplink that does not exist'; ErrorId = 'BridgeUplinkNotFound'; Target = 'eth9'; Params = @{ Uplink = 'eth9' } }
        @{ Case = 'an uplink name with a colon'; ErrorId = 'BridgeUplinkInvalid'; Target = 'eth0:1'; Params = @{ Uplink = 'eth0:1' } }
        @{ Case = 'the loopback as uplink'; ErrorId = 'BridgeUplinkInvalid'; Target = 'lo'; Params = @{ Uplink = 'lo' } }
        @{ Case = 'a forward delay too short for STP'; ErrorId = 'BridgeForwardDelayInvalid'; Target = 1; Params = @{ Stp = $true; ForwardDelay = 1 } }
    ) {
        $p = @{ Name = 'br0'; NetworkNamespace = $hostNs; Confirm = $false }
        foreach ($key in $Params.Keys) { $p[$key] = $Params[$key] }
        $err = Get-Failure { New-QemuBridge @p }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        $err.TargetObject | Should -Be $Target
        Assert-Unchanged $initial
    }

    It 'rejects bad TAP options with <ErrorId> (<Case>)' -TestCases @(
        @{ Case = 'a TAP name over 15 bytes'; ErrorId = 'TapIfNameInvalid'; Make = { New-QemuTap -IfName 'tap-name-too-long' } }
        @{ Case = 'a TAP name with a slash'; ErrorId = 'TapIfNameInvalid'; Make = { New-QemuTap -IfName 'tap/0' } }
        @{ Case = 'a TAP name with a colon'; ErrorId = 'TapIfNameInvalid'; Make = { New-QemuTap -IfName 'tap:0' } }
        @{ Case = 'a TAP name with a space'; ErrorId = 'TapIfNameInvalid'; Make = { New-QemuTap -IfName 'tap 0' } }
        @{ Case = 'a TAP name with $(…)'; ErrorId = 'TapIfNameInvalid'; Make = { New-QemuTap -IfName '$(reboot)' } }
        @{ Case = 'a bridge name with a space'; ErrorId = 'TapBridgeInvalid'; Make = { New-QemuTap -Bridge 'br 0' } }
        @{ Case = 'Fd with IfName'; ErrorId = 'TapFdConflict'; Make = { New-QemuTap -Fd 3 -IfName tap0 } }
        @{ Case = 'Fd with VnetHdr'; ErrorId = 'TapFdConflict'; Make = { New-QemuTap -Fd 3 -VnetHdr } }
        @{ Case = 'queues out of range'; ErrorId = 'TapQueuesInvalid'; Make = { New-QemuTap -Bridge br0 -Queues 0 } }
        @{ Case = 'a script with a bridge'; ErrorId = 'TapScriptBridgeConflict'; Make = { New-QemuTap -Script /bin/true -Bridge br0 } }
        @{ Case = 'Fd with Helper'; ErrorId = 'TapFdConflict'; Make = { New-QemuTap -Fd 3 -Helper /bin/true } }
        @{ Case = 'Helper with IfName'; ErrorId = 'TapHelperConflict'; Make = { New-QemuTap -Bridge br0 -UseHelper -IfName tap0 } }
        @{ Case = 'Helper with Queues'; ErrorId = 'TapHelperConflict'; Make = { New-QemuTap -Bridge br0 -UseHelper -Queues 2 } }
    ) {
        $err = Get-Failure $Make
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'rejects multiqueue on a non-virtio NIC before anything is made' {
        $err = Get-Failure {
            New-QemuTap -Bridge br0 -Queues 2 -NetworkNamespace $hostNs | New-QemuNic -Model e1000 |
                Start-QemuVm -Name mqe1000 -Kernel $kernel -Initrd $initrd -Accelerator Tcg
        }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'TapQueuesNotVirtio'
        $err.TargetObject | Should -Be 2
        Assert-Unchanged $initial
    }

    It 'rejects a TAP on a bridge that does not exist, before QEMU runs' {
        $err = Get-Failure { New-QemuTap -Bridge br7 -NetworkNamespace $hostNs | Start-QemuVm -Name nobridge -Kernel $kernel -Initrd $initrd -Accelerator Tcg }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'TapBridgeNotFound'
        $err.TargetObject | Should -Be 'br7'
        Assert-Unchanged $initial
    }

    It 'New-QemuBridge -Uplink moves the address and routes to the bridge and keeps the LAN reachable' {
        $br = New-QemuBridge -Name br0 -Uplink eth0 -NetworkNamespace $hostNs -Confirm:$false
        $br.Name | Should -Be 'br0'
        $br.Managed | Should -BeTrue
        $br.Uplink | Should -Be 'eth0'
        $br.Addresses | Should -Be @('198.51.100.2/24', '2001:db8::2/64')
        ($br.Ports | Where-Object Kind -eq 'Uplink').Name | Should -Be 'eth0'
        $br.MacAddress | Should -Be ((& ip -n $hostNs -json link show dev eth0 | ConvertFrom-Json).address) -Because 'the bridge keeps the uplink MAC'
        (& ip -n $hostNs -br addr show dev eth0 | Out-String) | Should -Not -Match '198\.51\.100\.2'
        (& ip -n $hostNs route show dev br0 | Out-String) | Should -Match 'default via 198\.51\.100\.1'
        (& ip -n $hostNs route show dev br0 | Out-String) | Should -Match '203\.0\.113\.0/24 via 198\.51\.100\.1 proto static metric 50'
        (& ip -n $hostNs -6 route show dev br0 | Out-String) | Should -Match 'default via 2001:db8::1'
        Test-HostReachesLan | Should -BeTrue
        (Invoke-HttpGet -Namespace $hostNs -Address 198.51.100.1 -Port 80) | Should -Match 'LAN-OK'
        # Asked again with the same settings: nothing to do, the same bridge comes back.
        (New-QemuBridge -Name br0 -Uplink eth0 -NetworkNamespace $hostNs -Confirm:$false).Name | Should -Be 'br0'
    }

    It 'a guest on a module-made multiqueue TAP gets its lease from the LAN and fetches the LAN page, using min(queues, vCPUs) queue pairs' {
        $linksBefore = & ip -n $hostNs -br link | Out-String
        # The bridge object binds -Bridge and -NetworkNamespace by property name.
        $vm = Get-QemuBridge -Name br0 -NetworkNamespace $hostNs | New-QemuTap -Queues 4 | New-QemuNic -Model virtio |
            Start-QemuVm -Name languest -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append $fetchLan -CpuCount 2 -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -Match 'NIC nic0: -Queues 4 but the guest has 2 vCPU\(s\); it uses 2 queue pair\(s\)'
        $tap = $vm.Nics[0].Backend.IfName
        $vm.CreatedTaps | Should -Be @($tap)
        $vm.Arguments | Should -Contain "virtio-net-pci,netdev=net0,id=nic0,mac=$($vm.Nics[0].MacAddress),mq=on,vectors=10"
        $nic = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-NIC *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $nic.queues | Should -Be '2' -Because 'virtio-net uses min(4 queues, 2 vCPUs) pairs'
        @(& ip netns exec $hostNs ls "/sys/class/net/$tap/queues" | Where-Object { $_ -like 'rx-*' }).Count | Should -Be 2 -Because 'QEMU detaches the TAP queues the guest does not use'
        (& ip -n $hostNs -d link show dev $tap | Out-String) | Should -Match 'multi_queue'
        $port = (Get-QemuBridge -Name br0 -NetworkNamespace $hostNs).Ports | Where-Object Name -eq $tap
        $port.Kind | Should -Be 'GuestTap'
        $port.Vm | Should -Be 'languest'
        Assert-GuestOnLan $vm
        $vm | Stop-QemuVm -Confirm:$false
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore -Because 'the TAP goes with the guest'
    }

    It 'a guest whose QEMU runs as nobody (-RunAs), on a TAP the module opened and handed over (-Fd), gets its LAN lease with two queue pairs' {
        $linksBefore = & ip -n $hostNs -br link | Out-String
        $vm = Get-QemuBridge -Name br0 -NetworkNamespace $hostNs | New-QemuTap -Fd 10 -Queues 2 | New-QemuNic -Model virtio |
            Start-QemuVm -Name fdguest -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append $fetchLan -CpuCount 2 -RunAs nobody
        $tap = $vm.Nics[0].Backend.IfName
        $vm.Arguments | Should -Contain 'tap,id=net0,fds=10:11,vhost=off' -Because 'no /dev/vhost-net here, so no vhostfds'
        $vm.Arguments[-2..-1] | Should -Be @('-runas', 'nobody')
        $vm.CreatedTaps | Should -BeNullOrEmpty -Because 'the TAP is QEMU''s descriptor, not a link the module must delete'
        (& ps -o user= -p $vm.Pid).Trim() | Should -Be 'nobody'
        @(Get-ChildItem "/proc/$($vm.Pid)/fd" | Where-Object { $_.Name -in '10', '11' } | ForEach-Object LinkTarget) | Should -Be @('/dev/net/tun', '/dev/net/tun')
        (& ip -n $hostNs -d link show dev $tap | Out-String) | Should -Match 'tun type tap pi off vnet_hdr on multi_queue .*persist off'
        $nic = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-NIC *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $nic.queues | Should -Be '2'
        Assert-GuestOnLan $vm
        $vm | Stop-QemuVm -Confirm:$false
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore -Because 'the TAP lived as long as QEMU held it'
    }

    It 'reports a guest that powered itself off without touching its TAP; Stop-QemuVm removes the TAP' {
        $linksBefore = & ip -n $hostNs -br link | Out-String
        $vm = New-QemuTap -Bridge br0 -NetworkNamespace $hostNs | Start-QemuVm -Name shortlived -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=1"
        $deadline = [datetime]::UtcNow.AddSeconds(120)
        while ((Test-ProcessRunning $vm.Pid) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
        Test-ProcessRunning $vm.Pid | Should -BeFalse -Because 'the guest powers off a second after it is ready'
        $tap = $vm.Nics[0].Backend.IfName
        (Get-QemuVm -Name shortlived).State | Should -Be 'Exited'
        # Get-QemuVm only reads (it used to delete the TAP).
        (& ip -n $hostNs -br link | Out-String) | Should -Match $tap
        (Stop-QemuVm -Name shortlived -Confirm:$false -PassThru).State | Should -Be 'Off'
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore
        Remove-QemuVm -Name shortlived -Confirm:$false
    }

    It 'removes the TAP it made when QEMU fails to start' {
        $linksBefore = & ip -n $hostNs -br link | Out-String
        $err = Get-Failure {
            New-QemuTap -Bridge br0 -NetworkNamespace $hostNs | Start-QemuVm -Name badkernel -Kernel /etc/hostname -Accelerator Tcg
        }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'QemuStartFailed'
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore
        Get-QemuVm | Should -BeNullOrEmpty
    }

    It 'Start-QemuVm -WhatIf makes no TAP' {
        $linksBefore = & ip -n $hostNs -br link | Out-String
        $run = Invoke-ChildPwsh "New-QemuTap -Bridge br0 -NetworkNamespace $hostNs | Start-QemuVm -Name whatif -Kernel '$kernel' -Initrd '$initrd' -Accelerator Tcg -WhatIf"
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'tap,id=net0,ifname=qt[0-9a-f]{8},script=no,downscript=no,vhost=(on|off)'
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore
    }

    It 'a guest started with a generated ifup script reaches the LAN the same way' {
        $up = Join-Path $state 'qemu-ifup'
        $down = Join-Path $state 'qemu-ifdown'
        Export-QemuIfupScript -Bridge br0 -Path $up -DownPath $down -PassThru | ForEach-Object Name | Should -Be 'qemu-ifup', 'qemu-ifdown'
        (Get-Item $up).UnixFileMode.ToString() | Should -Match 'UserExecute'
        $linksBefore = & ip -n $hostNs -br link | Out-String
        # With the seed's other options too: the old vlan=0 hub between TAP and NIC, a send buffer, vnet headers.
        $vm = New-QemuTap -Script $up -DownScript $down -Hub 0 -SndBuf 1048576 -VnetHdr | New-QemuNic -Model e1000 |
            Start-QemuVm -Name scripted -NetworkNamespace $hostNs -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append $fetchLan
        $vm.CreatedTaps | Should -BeNullOrEmpty -Because 'QEMU made this TAP and ran the script on it'
        $vm.Arguments | Should -Contain "tap,id=net0,ifname=$($vm.Nics[0].Backend.IfName),script=$up,downscript=$down,sndbuf=1048576,vnet_hdr=on,vhost=off"
        $vm.Arguments | Should -Contain 'hubport,id=net0-hub,hubid=0,netdev=net0'
        $vm.Arguments | Should -Contain "e1000,netdev=net0-nic,id=nic0,mac=$($vm.Nics[0].MacAddress)"
        Assert-GuestOnLan $vm
        $vm | Stop-QemuVm -Confirm:$false
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore
    }

    It 'a guest through the bridge helper fails clearly before Grant-QemuBridgeAccess and works after it' {
        # Start from no ACL file at all (the machine's own is saved in BeforeAll and put back in AfterAll).
        Remove-Item $aclPath -ErrorAction Ignore
        Revoke-QemuBridgeAccess -Bridge br0 -Confirm:$false
        (Get-QemuBridgeAccess -Bridge br0).Allowed | Should -BeFalse
        $err = Get-Failure {
            New-QemuTap -Bridge br0 -UseHelper | Start-QemuVm -Name helped -NetworkNamespace $hostNs -Kernel $kernel -Initrd $initrd -Accelerator Tcg
        }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeAccessDenied'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.ErrorDetails.RecommendedAction | Should -Be 'Grant-QemuBridgeAccess -Bridge br0'
        Get-QemuVm | Should -BeNullOrEmpty

        $access = Grant-QemuBridgeAccess -Bridge br0 -Confirm:$false -PassThru
        $access.Allowed | Should -BeTrue
        $access.HelperPath | Should -Exist
        Get-Content $aclPath | Should -Contain 'allow br0'
        $vm = New-QemuTap -Bridge br0 -UseHelper | New-QemuNic -Model virtio |
            Start-QemuVm -Name helped -NetworkNamespace $hostNs -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append $fetchLan
        $vm.Arguments | Should -Contain "tap,id=net0,br=br0,helper=$($access.HelperPath),vhost=off"
        Assert-GuestOnLan $vm
        $vm | Stop-QemuVm -Confirm:$false

        Revoke-QemuBridgeAccess -Bridge br0 -Confirm:$false
        # Revoking the only rule removes the file Grant made (it used to leave one holding a newline).
        Test-Path $aclPath | Should -BeFalse
    }

    It 'a user who is not root puts a guest on a bridge root made and granted, through the helper, and it gets a LAN lease' -Skip:$noTestUser {
        # Root's part: the bridge (made above), the grant, and a helper users may run. Debian ships it without the
        # setuid bit; a setuid copy stands in for dpkg-statoverride, so the machine's own helper stays as it was.
        $user = Get-TestUser
        Grant-QemuBridgeAccess -Bridge br0 -Confirm:$false
        $helperDir = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "qnt-helper-$([guid]::NewGuid().ToString('n').Substring(0, 6))")
        try {
            & chmod 0755 $helperDir
            $helper = Join-Path $helperDir 'qemu-bridge-helper'
            Copy-Item (Get-QemuBridgeAccess -Bridge br0).HelperPath $helper
            & chmod 4755 $helper
            $userState = Join-Path $user.Home "state-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
            $guest = "-Kernel '$($user.GuestDir)/vmlinuz' -Initrd '$($user.GuestDir)/initrd.img' -Accelerator Tcg"
            $run = Invoke-AsTestUser -User $user -Namespace $hostNs -Environment @{ QEMUNET_STATE_DIR = $userState } -Script @"
"uid=`$(& id -u)"
`$vm = New-QemuTap -Bridge br0 -Helper '$helper' | New-QemuNic -Model virtio | Start-QemuVm -Name user-helped $guest -Append '$fetchLan'
'VM=' + (@{ Pid = `$vm.Pid; ConsoleLog = `$vm.ConsoleLog; Mac = `$vm.Nics[0].MacAddress } | ConvertTo-Json -Compress)
"@
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match "uid=[1-9]\d*" -Because 'the guest is started by a user who is not root'
            $started = ($run.Output -split "`n" | Where-Object { $_ -like 'VM=*' } | Select-Object -First 1).Substring(3) | ConvertFrom-Json
            ((Get-Content "/proc/$($started.Pid)/status" | Where-Object { $_ -like 'Uid:*' }) -split '\s+')[1] | Should -Be (& id -u $user.Name)
            Assert-GuestOnLan ([pscustomobject]@{ Pid = $started.Pid; ConsoleLog = $started.ConsoleLog; Nics = @([pscustomobject]@{ MacAddress = $started.Mac }) })

            $stop = Invoke-AsTestUser -User $user -Namespace $hostNs -Environment @{ QEMUNET_STATE_DIR = $userState } -Script 'Stop-QemuVm -Name user-helped -TurnOff -Confirm:$false'
            $stop.ExitCode | Should -Be 0 -Because $stop.Output
            Test-ProcessRunning $started.Pid | Should -BeFalse
        }
        finally {
            & pkill -KILL -u $user.Name qemu-system 2>$null
            Remove-Item $helperDir -Recurse -Force
            Revoke-QemuBridgeAccess -Bridge br0 -Confirm:$false
        }
    }

    It 'a user who is not root gets HostChangeNeedsRoot for a guest in a namespace, not a message passed off as QEMU''s' -Skip:$noTestUser {
        $user = Get-TestUser
        $run = Invoke-AsTestUser -User $user -Script @"
try { New-QemuNic | Start-QemuVm -Name nsguest -NetworkNamespace $hostNs -Accelerator Tcg } catch { 'ERR ' + `$_.FullyQualifiedErrorId + ' ' + `$_.CategoryInfo.Category + ' ' + `$_.TargetObject }
"@
        $run.Output | Should -Match "ERR HostChangeNeedsRoot,\S+ PermissionDenied $hostNs" -Because $run.Output
        $run.Output | Should -Not -Match 'QemuStartFailed'

        # Inside the namespace (root entered it for the user), a TAP the module would make: -WhatIf shows the whole
        # plan with the note, and the real start stops before its first step.
        $linksBefore = & ip -n $hostNs -br link | Out-String
        $guest = "-Kernel '$($user.GuestDir)/vmlinuz' -Initrd '$($user.GuestDir)/initrd.img' -Accelerator Tcg"
        $run = Invoke-AsTestUser -User $user -Namespace $hostNs -Environment @{ QEMUNET_STATE_DIR = Join-Path $user.Home 'state-tap' } -Script @"
New-QemuTap -Bridge br0 | Start-QemuVm -Name usertap $guest -WhatIf
try { New-QemuTap -Bridge br0 | Start-QemuVm -Name usertap $guest } catch { 'ERR ' + `$_.FullyQualifiedErrorId }
"@
        $run.Output | Should -Match 'What if: \[\S+\] Create TAP' -Because $run.Output
        $run.Output | Should -Match 'WARNING: This plan is what user id \d+ can see'
        $run.Output | Should -Match 'ERR HostChangeNeedsRoot,'
        & ip -n $hostNs -br link | Out-String | Should -Be $linksBefore
    }

    It 'Remove-QemuBridge refuses while a guest is on it, then puts the uplink back exactly' {
        $vm = New-QemuTap -Bridge br0 -NetworkNamespace $hostNs | Start-QemuVm -Name blocker -Kernel $kernel -Initrd $initrd -Accelerator Tcg -Append "$GuestAppend qn_hold=60"
        $err = Get-Failure { Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeInUse'
        $vm | Stop-QemuVm -Confirm:$false

        Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:$false
        $after = Get-Uplink
        $after.Addrs | Should -Be $uplinkBefore.Addrs
        $after.Routes | Should -Be $uplinkBefore.Routes
        Test-HostReachesLan | Should -BeTrue
        Assert-Unchanged $initial
    }

    It 'a bridge without uplink with STP; Get-QemuBridge shows it; Remove-QemuBridge of one it did not make is refused' {
        $br = New-QemuBridge -Name brstp -Stp -ForwardDelay 4 -NetworkNamespace $hostNs -Confirm:$false
        $br.Stp | Should -BeTrue
        $br.ForwardDelay | Should -Be 4
        $br.Uplink | Should -BeNullOrEmpty
        & ip -n $hostNs link add name foreign0 type bridge
        (Get-QemuBridge -NetworkNamespace $hostNs).Name | Should -Be 'brstp', 'foreign0'
        (Get-QemuBridge -Name foreign0 -NetworkNamespace $hostNs).Managed | Should -BeFalse
        $err = Get-Failure { Remove-QemuBridge -Name foreign0 -NetworkNamespace $hostNs -Confirm:$false -ErrorAction Stop }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeNotManaged'
        $err = Get-Failure { New-QemuBridge -Name foreign0 -NetworkNamespace $hostNs -Confirm:$false }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeExists'
        & ip -n $hostNs link del foreign0
        Remove-QemuBridge -Name brstp -NetworkNamespace $hostNs -Confirm:$false
        Assert-Unchanged $initial
    }
}
