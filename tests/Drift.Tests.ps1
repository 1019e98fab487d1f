# The drift matrix: every piece of a NAT network the module owns is removed or altered in turn under a running
# guest (each nft rule, the table, dnsmasq, the reservations file, the gateway address, the bridge's state and
# the bridge itself, ip_forward, the uplink), in namespaces the test makes. Each time Get-QemuNat reports it
# without changing anything, the next Enable-QemuNat repairs it, and the guest works again: its next DHCP round
# gets its reserved address, it reaches upstream through masquerade, and upstream reaches it through a forward.
# The Test task deletes the first, a middle and the last rule; build.ps1 -Task Stress every rule.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skip) { Write-Warning "Skipping the drift matrix: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-TableRule {
        # The rules of the network's table as "chain handle text", from nft's handle listing.
        $chain = $null
        foreach ($line in & ip netns exec $hostNs nft -a list table inet qemunet_lab) {
            if ($line -match '^\s*chain (\S+) \{') { $chain = $Matches[1]; continue }
            if ($chain -and $line -match '^\s*(?!type )(.+?) # handle (\d+)$') {
                [pscustomobject]@{ Chain = $chain; Handle = [int]$Matches[2]; Text = $Matches[1].Trim() }
            }
        }
    }

    function Get-GuestLineCount { @(Get-Content $vm.ConsoleLog | Where-Object { $_ -like 'QEMUNET-*' }).Count }

    function Test-GuestWorks([int]$Seen, [string]$Because) {
        # Upstream reaches the guest through the forward; the guest renews its reserved lease and fetches upstream.
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        do { $page = Invoke-HttpGet -Namespace $upNs -Address 203.0.113.1 -Port 8081 } until ($page -match 'QEMUNET-HTTP-OK' -or [datetime]::UtcNow -gt $deadline)
        $page | Should -Match 'QEMUNET-HTTP-OK' -Because "upstream reaches the guest through the forward ($Because)"
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        $lease = $fetch = $false
        while (-not ($lease -and $fetch) -and [datetime]::UtcNow -lt $deadline) {
            $later = @(Get-Content $vm.ConsoleLog | Where-Object { $_ -like 'QEMUNET-*' } | Select-Object -Skip $Seen)
            $lease = [bool]($later -match '^QEMUNET-LEASE name=eth0 ip=198\.51\.100\.20 ')
            # A fetch counts once the guest has its lease again: one from before the repair proves nothing.
            $afterLease = $later | Select-Object -Skip (([array]::FindIndex([string[]]$later, [Predicate[string]] { $args[0] -like 'QEMUNET-LEASE *' })) + 1)
            $fetch = $lease -and [bool]($afterLease -match '^QEMUNET-FETCH .*result=ok body=UPSTREAM-OK')
            if (-not ($lease -and $fetch)) { Start-Sleep -Milliseconds 500 }
        }
        $lease | Should -BeTrue -Because "the guest renews its reserved lease ($Because)"
        $fetch | Should -BeTrue -Because "the guest reaches upstream ($Because)"
    }

    function Test-DriftCase([string]$Name, [scriptblock]$Break, [string]$Expect) {
        # One case of the matrix; returns nothing when it held, or why it did not.
        try {
            $null = & $Break
            $broken = Get-NamespaceSnapshot -Namespace $hostNs
            $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
            $net.State | Should -Be 'Degraded' -Because "$Name is drift"
            ($net.Drift -join "`n") | Should -Match $Expect -Because "Get-QemuNat names what happened ($Name)"
            Compare-NamespaceSnapshot -Namespace $hostNs -Expected $broken -Because "Get-QemuNat changes nothing ($Name)"
            $seen = Get-GuestLineCount
            (Enable-QemuNat @enable).State | Should -Be 'Active' -Because "Enable-QemuNat repairs $Name"
            $again = Get-QemuNat -Name lab -NetworkNamespace $hostNs
            $again.State | Should -Be 'Active'
            $again.Drift | Should -BeNullOrEmpty
            Test-GuestWorks $seen "after $Name was repaired"
        } catch {
            # The next case starts from a repaired network, whatever this one left.
            try { $null = Enable-QemuNat @enable } catch { Write-Verbose "repair: $_" }
            return "${Name}: $_"
        }
    }

    $script:skipRun = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skipRun) { return }
    $script:state = New-TestStateDirectory
    $script:hostNs = New-TestNamespace 'qnt-drift'
    $script:upNs = New-TestNamespace 'qnt-driftup'
    Add-UpstreamLink -HostNamespace $hostNs -UpstreamNamespace $upNs -WebRoot (Join-Path $state 'up-www')
    $script:enable = @{ Name = 'lab'; Subnet = '198.51.100.0/24'; Uplink = 'up0'; NetworkNamespace = $hostNs; Confirm = $false; WarningAction = 'SilentlyContinue' }
    $nat = Enable-QemuNat @enable
    $null = Add-QemuNatReservation -Network lab -MacAddress 52:54:00:00:00:20 -IPAddress 198.51.100.20 -HostName web -NetworkNamespace $hostNs -Confirm:$false
    $null = Add-QemuPortForward -Network lab -HostAddress 203.0.113.1 -HostPort 8081 -GuestAddress 198.51.100.20 -GuestPort 80 -NetworkNamespace $hostNs -Confirm:$false
    # qn_repeat: every 2 s the guest asks for its lease again and fetches upstream again.
    $script:vm = New-QemuNic -Model virtio -MacAddress 52:54:00:00:00:20 -Network $nat |
        Start-QemuVm -Name drift -NetworkNamespace $hostNs -Kernel (Join-Path $GuestDir 'vmlinuz') -Initrd (Join-Path $GuestDir 'initrd.img') `
            -Accelerator Tcg -Append "$GuestAppend qn_hold=900 qn_repeat=2 qn_fetch=http://203.0.113.2/" -Confirm:$false -PassThru
    $script:firstLines = Wait-GuestConsole $vm
}

AfterAll {
    if ($skipRun) { return }
    Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    try { Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:$false } catch { Write-Verbose "cleanup: $_" }
    try { Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Force -Confirm:$false } catch { Write-Verbose "cleanup: $_" }
    Remove-TestStateDirectory $state
    Remove-TestNamespace $hostNs
    Remove-TestNamespace $upNs
}

Describe 'Drift matrix: each owned piece broken in turn, reported, repaired, and the guest works' -Skip:([bool]$skip) {
    It 'the guest works before anything breaks' {
        $firstLines -match '^QEMUNET-LEASE name=eth0 ip=198\.51\.100\.20 ' | Should -Not -BeNullOrEmpty
        Test-GuestWorks 0 'before any drift'
    }

    It 'each nft rule of the network deleted in turn' {
        $rules = @(Get-TableRule)
        $rules.Count | Should -BeGreaterThan 10 -Because 'the table has input, forward, masquerade and forward rules'
        $picked = if (Test-StressRun) { 0..($rules.Count - 1) } else { @(0, [int][math]::Floor($rules.Count / 2), ($rules.Count - 1)) }
        $failures = @(foreach ($i in $picked) {
            # Handles change when Enable reloads the table: look the rule up again by its place.
            Test-DriftCase "rule $i" {
                $rule = @(Get-TableRule)[$i]
                & ip netns exec $hostNs nft delete rule inet qemunet_lab $rule.Chain handle $rule.Handle
                if ($LASTEXITCODE) { throw "nft could not delete rule $i ($($rule.Text))" }
            } 'qemunet_lab was changed since it was applied'
        })
        Write-StressResult -Area Drift -Case 'each nft rule deleted' -Runs @($picked).Count -Failures $failures.Count -Detail "$($rules.Count) rules in the table"
        $failures | Should -BeNullOrEmpty
    }

    It '<Name>' -TestCases @(
        @{ Name = 'a rule altered (the forward to another port)'; Expect = 'qemunet_lab was changed since it was applied'; Break = @'
$rule = @(Get-TableRule | Where-Object Text -match 'dport 8081 dnat')[0]
& ip netns exec $hostNs nft replace rule inet qemunet_lab $rule.Chain handle $rule.Handle ($rule.Text -replace ':80$', ':8')
'@ }
        @{ Name = 'the table deleted'; Expect = 'qemunet_lab is missing'; Break = '& ip netns exec $hostNs nft delete table inet qemunet_lab' }
        @{ Name = 'dnsmasq killed'; Expect = 'dnsmasq is not running'; Break = @'
$dnsmasq = (Get-QemuNat -Name lab -NetworkNamespace $hostNs).DnsmasqPid
& kill -9 $dnsmasq
$deadline = [datetime]::UtcNow.AddSeconds(10)
while ((Test-ProcessRunning $dnsmasq) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
'@ }
        @{ Name = 'the reservations file altered'; Expect = 'reservations file .* differs from the record'; Break = @'
$file = Get-ChildItem "$state-dnsmasq" -Recurse -File | Where-Object { (Get-Content -Raw $_.FullName) -match '52:54:00:00:00:20' } | Select-Object -First 1
Set-Content $file.FullName '52:54:00:00:00:99,198.51.100.99'
'@ }
        @{ Name = 'the gateway address removed'; Expect = 'qn-lab lacks 198\.51\.100\.1/24'; Break = '& ip -n $hostNs addr del 198.51.100.1/24 dev qn-lab' }
        @{ Name = 'the bridge set down'; Expect = 'qn-lab is down'; Break = '& ip -n $hostNs link set qn-lab down' }
        @{ Name = 'the bridge deleted under the running guest'; Expect = 'is not on qn-lab|qn-lab is missing'; Break = '& ip -n $hostNs link del qn-lab' }
        @{ Name = 'ip_forward reset'; Expect = 'ip_forward is 0'; Break = '& ip netns exec $hostNs sysctl -q -w net.ipv4.ip_forward=0' }
        # Last: the uplink stays a port of br0 (AfterAll gives it back).
        @{ Name = 'the uplink enslaved to a new bridge'; Expect = 'uplink up0 is now a port of bridge br0'; Break = @'
$null = New-QemuBridge -Name br0 -Uplink up0 -NetworkNamespace $hostNs -Confirm:$false -WarningAction SilentlyContinue
'@ }
    ) {
        # The break is text: a script block made at discovery would not see the namespace made in BeforeAll.
        $failure = @(Test-DriftCase $Name ([scriptblock]::Create($Break)) $Expect)
        Write-StressResult -Area Drift -Case $Name -Runs 1 -Failures $failure.Count
        $failure | Should -BeNullOrEmpty
    }
}
