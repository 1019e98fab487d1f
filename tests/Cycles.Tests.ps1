# Cycles: the same set-up made and removed again and again in one warm pwsh, in namespaces the test makes.
# After every cycle the namespace is as it was (no leaked link, nft table, process, address or route) and no
# state file is left; across the cycles the pwsh process's open file descriptors do not grow. The Test task
# runs 10 cycles of each, build.ps1 -Task Stress 100.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Nat
    if ($skip) { Write-Warning "Skipping the cycle tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-OpenDescriptorCount {
        # Handles the runtime would close at its next collection are not leaks: collect first.
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        @(Get-ChildItem "/proc/$PID/fd" -ErrorAction Ignore).Count
    }

    function Get-StateFile {
        @(Get-ChildItem $state, "$state-dnsmasq" -Recurse -File -Force -ErrorAction Ignore | Where-Object Name -ne '.lock' |
            ForEach-Object { $_.FullName })
    }

    function Get-ModuleDnsmasq { @(& pgrep -f "dnsmasq --conf-file=$state" 2>$null) }

    function Invoke-Cycles {
        <#
        Runs $Cycle $Count times; after each, the namespace must equal $Initial and no state file or dnsmasq be
        left. Returns the failures (one line each) and the descriptor counts after the warm-up and at the end.
        #>
        param([scriptblock]$Cycle, [scriptblock]$Reset, [int]$Count, $Initial)
        $failures = [Collections.Generic.List[string]]::new()
        $warm = 0
        for ($i = 1; $i -le $Count; $i++) {
            try {
                & $Cycle $i
                Compare-NamespaceSnapshot -Namespace $hostNs -Expected $Initial -Because "after cycle $i"
                Get-StateFile | Should -BeNullOrEmpty -Because "no state file outlives cycle $i"
                Get-ModuleDnsmasq | Should -BeNullOrEmpty -Because "no dnsmasq outlives cycle $i"
            } catch {
                $failures.Add("cycle ${i}: $_")
                & $Reset
            }
            # The first two cycles load code and fill caches; count from there.
            if ($i -eq [math]::Min(2, $Count)) { $warm = Get-OpenDescriptorCount }
        }
        [pscustomobject]@{ Failures = $failures; Warm = $warm; End = Get-OpenDescriptorCount }
    }

    $script:skipRun = Get-TestSkipReason -Need Root, Nat
    if ($skipRun) { return }
    $script:cycles = if (Test-StressRun) { 100 } else { 10 }
    $script:state = New-TestStateDirectory
    $script:hostNs = New-TestNamespace 'qnt-cyc'
    $script:lanNs = New-TestNamespace 'qnt-cyclan'
    Add-RichUplink -HostNamespace $hostNs -LanNamespace $lanNs
    $script:initial = Get-NamespaceSnapshot -Namespace $hostNs
    $script:initialNeighbours = & ip -n $hostNs neigh show nud permanent | Out-String
}

AfterAll {
    if ($skipRun) { return }
    try { Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Confirm:$false } catch { Write-Verbose "cleanup: $_" }
    try { Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:$false } catch { Write-Verbose "cleanup: $_" }
    Remove-TestStateDirectory $state
    Remove-TestNamespace $hostNs
    Remove-TestNamespace $lanNs
}

Describe 'Cycles: made and removed again and again in one pwsh' -Skip:([bool]$skip) {
    It 'Enable-QemuNat with two port forwards and a reservation, then Disable-QemuNat: nothing leaks' {
        $ns = @{ NetworkNamespace = $hostNs; Confirm = $false }
        $cycle = {
            param($i)
            $null = Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Uplink up0 -DomainName lab.test @ns
            $null = Add-QemuPortForward -Network lab -HostPort 8080 -GuestAddress 198.51.100.20 -GuestPort 80 @ns
            $null = Add-QemuPortForward -Network lab -HostPort 2222 -GuestAddress 198.51.100.20 -GuestPort 22 @ns
            $null = Add-QemuNatReservation -Network lab -MacAddress 52:54:00:00:00:20 -IPAddress 198.51.100.20 -HostName web @ns
            if ($i -eq 1) {
                # The cycle really made what it claims: both forwards in nft, the reservation served by dnsmasq.
                $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
                $net.State | Should -Be 'Active'
                @($net.PortForwards).Count | Should -Be 2
                @($net.Reservations).Count | Should -Be 1
                (& ip netns exec $hostNs nft list table inet qemunet_lab | Out-String) | Should -Match 'dport 2222 dnat ip to 198\.51\.100\.20:22'
                Get-ModuleDnsmasq | Should -Not -BeNullOrEmpty
            }
            Disable-QemuNat -Name lab @ns
        }
        $reset = { try { Disable-QemuNat -Name lab @ns } catch { Write-Verbose "reset: $_" } }
        $result = Invoke-Cycles -Cycle $cycle -Reset $reset -Count $cycles -Initial $initial
        Write-StressResult -Area Cycles -Case 'NAT with 2 forwards + reservation' -Runs $cycles -Failures $result.Failures.Count `
            -Detail "fds $($result.Warm) -> $($result.End)"
        $result.Failures | Should -BeNullOrEmpty
        $result.End | Should -BeLessOrEqual ($result.Warm + 2) -Because "pwsh's file descriptors must not grow with the cycles ($($result.Warm) after the warm-up, $($result.End) after $cycles)"
    }

    It 'New-QemuBridge -Uplink on a rich uplink, then Remove-QemuBridge: nothing leaks, the uplink is given back' {
        $ns = @{ NetworkNamespace = $hostNs; Confirm = $false }
        $cycle = {
            param($i)
            $null = New-QemuBridge -Name br0 -Uplink up0 -WarningAction SilentlyContinue @ns
            if ($i -eq 1) {
                (& ip -n $hostNs addr show dev br0 | Out-String) | Should -Match 'inet 203\.0\.113\.11/24 scope global secondary br0:1'
                (& ip -n $hostNs -o link show dev up0 | Out-String) | Should -Match 'master br0'
            }
            Remove-QemuBridge -Name br0 @ns
            & ip -n $hostNs neigh show nud permanent | Out-String | Should -Be $initialNeighbours -Because 'the permanent neighbour comes back'
        }
        $reset = { try { Remove-QemuBridge -Name br0 @ns } catch { Write-Verbose "reset: $_" } }
        $result = Invoke-Cycles -Cycle $cycle -Reset $reset -Count $cycles -Initial $initial
        Write-StressResult -Area Cycles -Case 'bridge with a rich uplink' -Runs $cycles -Failures $result.Failures.Count `
            -Detail "fds $($result.Warm) -> $($result.End)"
        $result.Failures | Should -BeNullOrEmpty
        $result.End | Should -BeLessOrEqual ($result.Warm + 2) -Because "pwsh's file descriptors must not grow with the cycles ($($result.Warm) after the warm-up, $($result.End) after $cycles)"
    }
}
