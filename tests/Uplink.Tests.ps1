# The seed's uplink move (brctl addif br0 eth0; ifconfig eth0 0.0.0.0; dhclient br0) on a "rich" uplink, in
# namespaces the test makes: a primary and a labelled secondary address in one subnet, a DHCP address with a
# finite lifetime, a default route with an mtu, a route in table 100 with its policy rule, and a permanent
# neighbour. New-QemuBridge -Uplink then Remove-QemuBridge must give every one of them back, whatever
# promote_secondaries says, also when killed at any action.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root
    if ($skip) { Write-Warning "Skipping the uplink tests: $skip" }
    $script:fullMatrix = $env:QEMUNET_STRESS -eq '1'
    $script:moveCases = @(
        @{ Name = 'New-QemuBridge -Uplink'; Setup = @(); Command = 'New'; Inverse = 'Remove' }
        @{ Name = 'Remove-QemuBridge'; Setup = @('New'); Command = 'Remove'; Inverse = 'New' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-UplinkSnapshot {
        # Lifetimes count down, so a finite one is compared as "finite"; the bridge's own lines are left out.
        [pscustomobject]@{
            # Addresses with every flag, label and lifetime kind ("tentative" is the kernel's DAD of the link-local address).
            Addrs   = (& ip -n $hostNs -d addr show dev up0 | Where-Object { $_ -match '^\s+(inet6?|valid_lft) ' } |
                        ForEach-Object { $_ -replace 'valid_lft \d+sec preferred_lft \d+sec', 'valid_lft finite preferred_lft finite' -replace ' tentative', '' } | Out-String)
            Routes  = (& ip -n $hostNs route show table all | Out-String) + (& ip -n $hostNs -6 route show table all | Out-String)
            Rules   = (& ip -n $hostNs rule | Out-String) + (& ip -n $hostNs -6 rule | Out-String)
            Neigh   = (& ip -n $hostNs neigh show nud permanent | Out-String)
            Link    = (& ip -n $hostNs -o link show dev up0 | ForEach-Object { $_ -replace '^\d+: ', '' -replace ' qdisc.*?(link/)', ' $1' } | Out-String)
            Links   = (& ip -n $hostNs -br link | ForEach-Object { ($_ -split '\s+')[0] } | Sort-Object | Out-String)
            Files   = (@(Get-ChildItem (Join-Path $state 'bridge') -Recurse -File -ErrorAction Ignore | Where-Object Name -ne '.lock' | ForEach-Object Name | Sort-Object) -join ',')
        }
    }

    function Compare-UplinkSnapshot($Expected, [string]$Because) {
        $now = Get-UplinkSnapshot
        foreach ($p in 'Addrs', 'Routes', 'Rules', 'Neigh', 'Link', 'Links', 'Files') {
            $now.$p | Should -Be $Expected.$p -Because "$p must match ($Because)"
        }
    }

    function Get-MoveCommand([string]$Which) {
        if ($Which -eq 'New') { "New-QemuBridge -Name br0 -Uplink up0 -NetworkNamespace $hostNs -Confirm:`$false -WarningAction SilentlyContinue" }
        else { "Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:`$false" }
    }

    function Invoke-Move([string]$Which) { $null = & ([scriptblock]::Create((Get-MoveCommand $Which))) }

    function Set-PromoteSecondaries([int]$Value) {
        # The kernel ORs all, the link's and (for a new bridge) default: set every one.
        foreach ($key in 'all', 'default', 'up0') { & ip netns exec $hostNs sysctl -q -w "net.ipv4.conf.$key.promote_secondaries=$Value" }
    }

    function Test-SecondaryRoute {
        # From the secondary address, through the policy rule and the table-100 route, to an address only that route reaches.
        & ip netns exec $hostNs busybox ping -c 1 -W 2 -I 203.0.113.11 198.18.0.1 *> $null
        $LASTEXITCODE -eq 0
    }

    function Reset-Uplink {
        try { Invoke-Move 'Remove' } catch { Write-Verbose "reset: $_" }
    }

    $script:skipRun = Get-TestSkipReason -Need Root
    if ($skipRun) { return }
    $script:state = New-TestStateDirectory
    $script:scratch = (New-Item -ItemType Directory -Path "$state-scratch").FullName
    $script:hostNs = New-TestNamespace 'qnt-uplh'
    $script:lanNs = New-TestNamespace 'qnt-upll'
    Add-RichUplink -HostNamespace $hostNs -LanNamespace $lanNs
    $script:initial = Get-UplinkSnapshot
}

AfterAll {
    if ($skipRun) { return }
    Reset-Uplink
    Remove-TestStateDirectory $state
    Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    Remove-TestNamespace $hostNs
    Remove-TestNamespace $lanNs
}

Describe 'A rich uplink moved to a bridge and back' -Skip:([bool]$skip) {
    AfterEach { Reset-Uplink; Set-PromoteSecondaries 0 }

    It 'gives back every address, route, rule and neighbour with promote_secondaries=<Promote>, <Cycles> cycles' -TestCases @(
        @{ Promote = 0; Cycles = 30 }
        @{ Promote = 1; Cycles = 30 }
    ) {
        Set-PromoteSecondaries $Promote
        $before = Get-UplinkSnapshot
        Test-SecondaryRoute | Should -BeTrue -Because 'the fixture works before any move'
        for ($i = 1; $i -le $Cycles; $i++) {
            Invoke-Move 'New'
            if ($i -eq 1) {
                # While the bridge exists the host keeps the secondary address and the policy route.
                $addrs = & ip -n $hostNs addr show dev br0 | Out-String
                $addrs | Should -Match 'inet 203\.0\.113\.11/24 scope global secondary br0:1'
                $addrs | Should -Match 'inet 192\.0\.2\.20/24 scope global dynamic br0'
                (& ip -n $hostNs route show table 100 | Out-String) | Should -Match '198\.18\.0\.0/15 via 203\.0\.113\.1 dev br0'
                (& ip -n $hostNs route show default | Out-String) | Should -Match 'dev br0 .*mtu 1400'
                (& ip -n $hostNs rule | Out-String) | Should -Match 'iif br0 lookup 100'
                (& ip -n $hostNs neigh show dev br0 nud permanent | Out-String) | Should -Match '203\.0\.113\.50 lladdr 52:54:00:00:00:50'
                Test-SecondaryRoute | Should -BeTrue -Because 'policy routing keeps working while the bridge exists'
            }
            Invoke-Move 'Remove'
            Compare-UplinkSnapshot $before "after cycle $i with promote_secondaries=$Promote"
        }
        Test-SecondaryRoute | Should -BeTrue
    }

    It 'says the host is as it was after a failed move only once it has looked: <Point>' -TestCases @(
        @{ Point = 'bridge:3.12'; Setup = @(); Which = 'New' }
        @{ Point = 'bridge:1.9'; Setup = @('New'); Which = 'Remove' }
    ) {
        foreach ($step in $Setup) { Invoke-Move $step }
        $before = Get-UplinkSnapshot
        $env:QEMUNET_TEST_FAULT = $Point
        try { $err = Get-Failure { Invoke-Move $Which } } finally { Remove-Item Env:QEMUNET_TEST_FAULT }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HostStepFailed'
        $err.Exception.Message | Should -Match 'Checked afterwards: the bridge and the uplink are as they were before'
        Compare-UplinkSnapshot $before "the rollback of a fault at $Point"
    }

    It 'warns that nothing renews the moved DHCP address, and says how to move the client' {
        $warnings = @()
        $null = New-QemuBridge -Name br0 -Uplink up0 -NetworkNamespace $hostNs -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -Match '192\.0\.2\.20/24 moved to br0 with the lifetime left'
        ($warnings -join "`n") | Should -Match "dhclient -r up0; dhclient br0"
    }

    It 'refuses what it cannot move faithfully, and changes nothing' {
        & ip -n $hostNs route add 198.51.100.0/24 table 101 nexthop via 203.0.113.1 dev up0 nexthop via 203.0.113.2 dev up0
        try {
            $before = Get-UplinkSnapshot
            $err = Get-Failure { Invoke-Move 'New' }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeUplinkUnmovable'
            $err.Exception.Message | Should -Match 'multipath route 198\.51\.100\.0/24'
            Compare-UplinkSnapshot $before 'a refused move changes nothing'
        } finally {
            & ip -n $hostNs route del 198.51.100.0/24 table 101
        }
    }
}

Describe 'Crash: the uplink move killed at an action' -Skip:([bool]$skip) {
    AfterEach { Reset-Uplink }

    It '<Name>: the next run converges to the exact before or after, at every point tried' -TestCases $moveCases {
        foreach ($s in $Setup) { Invoke-Move $s }
        $base = Get-UplinkSnapshot
        $changes = @(Get-PlanTrace -Script (Get-MoveCommand $Command) -Kind bridge -Scratch $scratch)
        $changes.Count | Should -BeGreaterThan 10
        $after = Get-UplinkSnapshot
        Invoke-Move $Inverse
        Compare-UplinkSnapshot $base 'the inverse of a clean run'
        # Past the bridge's own creation and short of its record: the move's changes.
        $points = Get-CrashPoints -Kind bridge -Changes $changes -Full:$fullMatrix -First 2 -Last -2
        $failures = foreach ($point in $points) {
            try {
                Invoke-KilledCommand -Script (Get-MoveCommand $Command) -Point $point -StateDirectory $state -Scratch $scratch | Should -BeTrue -Because "the run must reach $point"
                Invoke-Move $Command
                Compare-UplinkSnapshot $after "the same command after a kill at $point"
                Invoke-Move $Inverse
                Compare-UplinkSnapshot $base "the inverse after a kill at $point"
            } catch {
                "${point}: $_"
                Reset-Uplink
                foreach ($s in $Setup) { Invoke-Move $s }
            }
        }
        Write-StressResult -Area Crash -Case $Name -Runs @($points).Count -Failures @($failures).Count -Detail "$($changes.Count) changes in the plan"
        $failures | Should -BeNullOrEmpty
        Reset-Uplink
        Compare-UplinkSnapshot $initial 'after the case'
    }
}

Describe 'A guest on the bridge of a rich uplink' -Skip:([bool]$skip -or [bool](Get-TestSkipReason -Need Qemu, Guest)) {
    BeforeAll {
        $script:lanLeases = Join-Path $scratch 'lan.leases'
        & ip netns exec $lanNs dnsmasq --conf-file=/dev/null --port=0 --interface=lan0 --bind-interfaces --user=root `
            --dhcp-range=203.0.113.100,203.0.113.149,255.255.255.0,1h --dhcp-option=option:router,203.0.113.1 `
            "--dhcp-leasefile=$lanLeases" "--pid-file=$(Join-Path $scratch 'lan-dnsmasq.pid')"
    }
    AfterAll {
        Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
        if (Test-Path (Join-Path $scratch 'lan-dnsmasq.pid')) { & kill (Get-Content (Join-Path $scratch 'lan-dnsmasq.pid')) 2>$null }
        Reset-Uplink
    }

    It 'gets its lease from the LAN while the host keeps reaching it over the secondary address and the table-100 route' {
        Invoke-Move 'New'
        $vm = New-QemuTap -Bridge br0 -NetworkNamespace $hostNs | New-QemuNic -Model virtio |
            Start-QemuVm -Name langst -Kernel (Join-Path $GuestDir 'vmlinuz') -Initrd (Join-Path $GuestDir 'initrd.img') -Accelerator Tcg `
                -Append "$GuestAppend qn_hold=600" -Confirm:$false
        $lease = Wait-GuestConsole $vm | Where-Object { $_ -like 'QEMUNET-LEASE *' } | ForEach-Object { ConvertFrom-GuestLine $_ }
        $lease | Should -Not -BeNullOrEmpty -Because (Get-Content -Raw $vm.ConsoleLog)
        $lease.ip | Should -Match '^203\.0\.113\.1[0-4]\d$'
        Get-Content $lanLeases -Raw | Should -Match ([regex]::Escape($vm.Nics[0].MacAddress))
        Test-SecondaryRoute | Should -BeTrue
        & ip netns exec $hostNs busybox ping -c 1 -W 3 -I 203.0.113.11 $lease.ip *> $null
        $LASTEXITCODE | Should -Be 0 -Because 'the host reaches the guest from its secondary address'
        $vm | Remove-QemuVm -Force -Confirm:$false
        Invoke-Move 'Remove'
        Compare-UplinkSnapshot $initial 'after the guest and the bridge are gone'
    }
}

