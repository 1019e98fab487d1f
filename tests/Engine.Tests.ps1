# The host-change engine on real parts, in namespaces the test makes: a process killed at a host action, a
# failure injected at every action, state planted by someone else, real DHCP/DNS clients, and books shared by
# both ways into a namespace. Every case ends with the namespace (and the books) as they were.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Nat
    if ($skip) { Write-Warning "Skipping the engine tests: $skip" }
    # The Test task kills and fails a few points of each plan kind; QEMUNET_STRESS=1 kills at every action at three timings (before it runs, after it ran, after the journal says so) and fails every action.
    $script:fullMatrix = $env:QEMUNET_STRESS -eq '1'
    # '@NS' stands for the test namespace (made in BeforeAll) and -Confirm:$false.
    $ns = '@NS'
    $enable = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DomainName lab.test $ns"
    $disable = "Disable-QemuNat -Name lab $ns"
    $addForward = "Add-QemuPortForward -Network lab -HostPort 8080 -GuestAddress 198.51.100.20 -GuestPort 80 $ns"
    $removeForward = "Remove-QemuPortForward -Network lab -HostPort 8080 $ns"
    $addReservation = "Add-QemuNatReservation -Network lab -MacAddress 52:54:00:00:00:20 -IPAddress 198.51.100.20 -HostName web $ns"
    $removeReservation = "Remove-QemuNatReservation -Network lab -MacAddress 52:54:00:00:00:20 $ns"
    $newBridge = "New-QemuBridge -Name br0 -Uplink eth0 $ns"
    $removeBridge = "Remove-QemuBridge -Name br0 $ns"
    $script:enableCommand = $enable; $script:disableCommand = $disable
    # One case per plan kind: Setup brings the base state, Command is the plan under test, Inverse undoes it.
    $script:planKinds = @(
        @{ Name = 'NAT enable'; Kind = 'nat'; Setup = @(); Command = $enable; Inverse = $disable }
        @{ Name = 'NAT disable'; Kind = 'nat'; Setup = @($enable); Command = $disable; Inverse = $enable }
        @{ Name = 'routed enable, MTU'; Kind = 'nat'; Setup = @(); Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Mode Routed -Mtu 1400 $ns"; Inverse = $disable }
        @{ Name = 'isolated enable'; Kind = 'nat'; Setup = @(); Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Mode Isolated $ns"; Inverse = $disable }
        @{ Name = 'dual-stack enable, routes, forwarders'; Kind = 'nat'; Setup = @(); Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/64 -Route '203.0.113.0/25 via 198.51.100.7' -DnsForwarder 198.51.100.53 $ns"; Inverse = $disable }
        @{ Name = 'routed dual-stack enable with host routes'; Kind = 'nat'; Setup = @(); Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/64 -Mode Routed -Route '203.0.113.0/25 via 198.51.100.7' $ns"; Inverse = $disable }
        @{ Name = 'dual-stack disable'; Kind = 'nat'; Setup = @("Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/64 $ns"); Command = $disable; Inverse = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/64 $ns" }
        @{ Name = 'NAT enable, autostart'; Kind = 'nat'; Setup = @(); Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -AutoStart $ns"; Inverse = $disable }
        @{ Name = 'autostart forward add'; Kind = 'nat'; Setup = @("Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -AutoStart $ns"); Command = $addForward; Inverse = $removeForward }
        @{ Name = 'bridge new, autostart'; Kind = 'bridge'; Setup = @(); Command = "New-QemuBridge -Name br5 -AutoStart $ns"; Inverse = "Remove-QemuBridge -Name br5 $ns" }
        @{ Name = 'DNS record add'; Kind = 'nat'; Setup = @($enable); Command = "Add-QemuNatDnsRecord -Network lab -Name files.lab.test -Address 198.51.100.30 $ns"; Inverse = "Remove-QemuNatDnsRecord -Network lab -Name files.lab.test $ns" }
        @{ Name = 'port forward add'; Kind = 'nat'; Setup = @($enable); Command = $addForward; Inverse = $removeForward }
        @{ Name = 'port forward remove'; Kind = 'nat'; Setup = @($enable, $addForward); Command = $removeForward; Inverse = $addForward }
        @{ Name = 'reservation add'; Kind = 'nat'; Setup = @($enable); Command = $addReservation; Inverse = $removeReservation }
        @{ Name = 'reservation remove'; Kind = 'nat'; Setup = @($enable, $addReservation); Command = $removeReservation; Inverse = $addReservation }
        @{ Name = 'bridge new with uplink'; Kind = 'bridge'; Setup = @(); Command = $newBridge; Inverse = $removeBridge }
        @{ Name = 'bridge remove with uplink'; Kind = 'bridge'; Setup = @($newBridge); Command = $removeBridge; Inverse = $newBridge }
        @{ Name = 'ACL grant'; Kind = 'file'; Setup = @(); Command = 'Grant-QemuBridgeAccess -Bridge br7 -Confirm:$false'; Inverse = 'Revoke-QemuBridgeAccess -Bridge br7 -Confirm:$false' }
        @{ Name = 'ACL revoke'; Kind = 'file'; Setup = @('Grant-QemuBridgeAccess -Bridge br7 -Confirm:$false'); Command = 'Revoke-QemuBridgeAccess -Bridge br7 -Confirm:$false'; Inverse = 'Grant-QemuBridgeAccess -Bridge br7 -Confirm:$false' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-HostSnapshot {
        # What any plan may touch, as text that does not change from one correct run to the next (no MACs or pids).
        [pscustomobject]@{
            Links   = (& ip -n $hostNs -br link | ForEach-Object { ($_ -split '\s+')[0..1] -join ' ' } | Out-String)
            Addrs   = (& ip -n $hostNs -4 -br addr | Out-String)
            Addrs6  = (& ip -n $hostNs -6 addr show scope global | Where-Object { $_ -match '^\d+:|inet6 ' } | ForEach-Object { $_ -replace '^\d+: ', '' -replace '<[^>]*>.*$', '' } | Out-String)
            Routes  = (& ip -n $hostNs -4 route show table all | Out-String) + (& ip -n $hostNs -6 route show table all | Where-Object { $_ -notmatch '^(local|multicast|anycast) fe80|^fe80' } | Out-String)
            Ruleset = (& ip netns exec $hostNs nft -s list ruleset | Out-String)
            Forward = (& ip netns exec $hostNs sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | Out-String)
            Dnsmasq = @(& pgrep -f "dnsmasq --conf-file=$state" 2>$null).Count
            Files   = (@(Get-ChildItem $state, "$state-dnsmasq", "$state-config" -Recurse -File -ErrorAction Ignore |
                        Where-Object Name -ne '.lock' | ForEach-Object { $_.FullName.Substring($state.Length) } | Sort-Object) -join "`n")
            Acl     = if (Test-Path /etc/qemu/bridge.conf) { Get-Content -Raw /etc/qemu/bridge.conf } else { '<none>' }
        }
    }

    function Compare-HostSnapshot($Expected, [string]$Because) {
        $now = Get-HostSnapshot
        foreach ($p in 'Links', 'Addrs', 'Addrs6', 'Routes', 'Ruleset', 'Forward', 'Dnsmasq', 'Files', 'Acl') {
            $now.$p | Should -Be $Expected.$p -Because "$p must match ($Because)"
        }
    }

    function Expand-Command([string]$Command) { $Command.Replace('@NS', "-NetworkNamespace $hostNs -Confirm:`$false") }

    function Invoke-Quiet([string]$Command) {
        # Runs a module command line in this process ('@NS': in the test namespace, unconfirmed).
        $null = & ([scriptblock]::Create((Expand-Command $Command)))
    }

    function Reset-TestHost {
        # Whatever a failed case left: a case that fails must not make the next one fail too.
        foreach ($cleanup in $teardown) { try { Invoke-Quiet $cleanup } catch { Write-Verbose "teardown: $_" } }
        & ip -n $hostNs link del qn-lab 2>$null
    }

    function Reset-PlanCase($Setup) {
        # After a failed point: back to the base state, so the next point is tried from where it should start.
        Reset-TestHost
        foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
    }

    function Assert-PlanCaseClean($Failures) {
        $Failures | Should -BeNullOrEmpty
        Reset-TestHost
        Compare-HostSnapshot $initial 'after the case'
    }

    function Start-PlanCase($Setup, [string]$Command, [string]$Kind, [string]$Inverse) {
        # Brings the base state, learns the plan's changes from a clean traced run and what it leaves, and checks
        # that the inverse goes back to the base.
        foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
        $base = Get-HostSnapshot
        $changes = @(Get-PlanTrace -Script (Expand-Command $Command) -Kind $Kind -Scratch $scratch)
        $changes.Count | Should -BeGreaterThan 0
        $after = Get-HostSnapshot
        Invoke-Quiet $Inverse
        Compare-HostSnapshot $base 'the inverse of a clean run'
        [pscustomobject]@{ Base = $base; After = $after; Changes = $changes }
    }

    function Invoke-KilledRun([string]$Command, [string]$Point) {
        Invoke-KilledCommand -Script (Expand-Command $Command) -Point $Point -StateDirectory $state -Scratch $scratch
    }

    # Discovery's $skip is not visible here: decide again, and set up nothing when the suite is skipped.
    $script:skipRun = Get-TestSkipReason -Need Root, Nat
    if ($skipRun) { return }
    $script:state = New-TestStateDirectory
    # Traces and pause files of the harness: apart from the books, which the snapshots compare.
    $script:scratch = (New-Item -ItemType Directory -Path "$state-scratch").FullName
    $script:hostNs = New-TestNamespace 'qnt-eng'
    $script:lanNs = New-TestNamespace 'qnt-englan'
    # An uplink like a host's NIC: eth0 with an address and a default route, its peer in a "LAN" namespace.
    & ip link add eth0 netns $hostNs type veth peer name lan0 netns $lanNs
    & ip -n $hostNs addr add 203.0.113.10/24 dev eth0
    & ip -n $hostNs link set eth0 up
    & ip -n $hostNs route add default via 203.0.113.1 dev eth0
    & ip -n $lanNs addr add 203.0.113.1/24 dev lan0
    & ip -n $lanNs link set lan0 up
    # The helper ACL is the one file outside a namespace these plans touch: saved here, put back in AfterAll.
    $script:aclBackup = if (Test-Path /etc/qemu/bridge.conf) { Get-Content -Raw /etc/qemu/bridge.conf } else { $null }
    $script:etcQemuExisted = Test-Path /etc/qemu
    Remove-Item /etc/qemu/bridge.conf -ErrorAction Ignore
    $script:initial = Get-HostSnapshot

    $script:teardown = @('Disable-QemuNat -Name lab @NS', 'Remove-QemuBridge -Name br0 @NS', 'Revoke-QemuBridgeAccess -Bridge br7 -Confirm:$false')
    $script:enableLab = 'Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DomainName lab.test @NS'
}

AfterAll {
    if ($skipRun) { return }
    foreach ($cleanup in $teardown) { try { Invoke-Quiet $cleanup } catch { Write-Verbose "teardown: $_" } }
    if ($null -ne $aclBackup) { Set-Content /etc/qemu/bridge.conf $aclBackup -NoNewline } else { Remove-Item /etc/qemu/bridge.conf -ErrorAction Ignore }
    if (-not $etcQemuExisted) { Remove-Item /etc/qemu -Recurse -ErrorAction Ignore }
    Remove-TestStateDirectory $state
    Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    Remove-TestNamespace $hostNs
    Remove-TestNamespace $lanNs
}

Describe 'Crash: kill -9 while a host action is in progress' -Skip:([bool]$skip) {
    AfterEach { Reset-TestHost }

    It '<Name>: the next run and then its inverse converge, at every point tried' -TestCases $planKinds {
        $case = Start-PlanCase $Setup $Command $Kind $Inverse
        $changes = $case.Changes
        $points = Get-CrashPoints -Kind $Kind -Changes $changes -Full:$fullMatrix
        $failures = foreach ($point in $points) {
            try {
                Invoke-KilledRun $Command $point | Should -BeTrue -Because "the run must reach $point"
                Invoke-Quiet $Command
                Compare-HostSnapshot $case.After "the same command after a kill at $point"
                Invoke-Quiet $Inverse
                Compare-HostSnapshot $case.Base "the inverse after a kill at $point"
            } catch {
                "${point}: $_"
                Reset-PlanCase $Setup
            }
        }
        Write-StressResult -Area Crash -Case $Name -Runs @($points).Count -Failures @($failures).Count -Detail "$($changes.Count) changes in the plan"
        Assert-PlanCaseClean $failures
    }

    It 'Get-QemuNat reports a network a killed Enable left as Incomplete, changes nothing, and Disable-QemuNat undoes it' {
        $enable = $enableLab
        Invoke-KilledRun $enable 'nat:3.1:after' | Should -BeTrue
        $left = Get-HostSnapshot
        $left.Links | Should -Match 'qn-lab'
        $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
        $net.State | Should -Be 'Incomplete'
        ($net.Drift -join ' ') | Should -Match 'interrupted'
        Compare-HostSnapshot $left 'Get-QemuNat changes nothing'
        Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Confirm:$false -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        Compare-HostSnapshot $initial 'Disable-QemuNat undid the half-made network'
    }

    It 'Get-QemuBridge reports a bridge a killed New-QemuBridge left, changes nothing, and Remove-QemuBridge undoes it' {
        Invoke-KilledRun 'New-QemuBridge -Name br0 -Uplink eth0 @NS' 'bridge:3.1:after' | Should -BeTrue
        $left = Get-HostSnapshot
        $bridge = Get-QemuBridge -Name br0 -NetworkNamespace $hostNs
        $bridge.Managed | Should -BeTrue
        $bridge.Interrupted | Should -Match 'interrupted'
        Compare-HostSnapshot $left 'Get-QemuBridge changes nothing'
        Remove-QemuBridge -Name br0 -NetworkNamespace $hostNs -Confirm:$false -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        Compare-HostSnapshot $initial 'Remove-QemuBridge undid the half-made bridge'
    }
}

Describe 'Faults: a failure injected at every action of every plan kind' -Skip:([bool]$skip) {
    AfterEach { Reset-TestHost }

    It '<Name>: the error names the step, and the host is as it was' -TestCases $planKinds {
        $case = Start-PlanCase $Setup $Command $Kind $Inverse
        $points = @(Get-FaultPoints -Changes $case.Changes -Full:$fullMatrix)
        $failures = foreach ($change in $points) {
            try {
                $env:QEMUNET_TEST_FAULT = "${Kind}:$change"
                try { $err = Get-Failure { Invoke-Quiet $Command } } finally { Remove-Item Env:QEMUNET_TEST_FAULT }
                ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HostStepFailed' -Because "a fault at $change"
                $err.Exception.Message | Should -Match "^Step '.+' on .+ failed" -Because "a fault at $change"
                Compare-HostSnapshot $case.Base "a fault at $change"
            } catch {
                "${change}: $_"
                Reset-PlanCase $Setup
            }
        }
        Write-StressResult -Area Faults -Case $Name -Runs $points.Count -Failures @($failures).Count -Detail "$($case.Changes.Count) changes in the plan"
        Assert-PlanCaseClean $failures
    }

    It 'leaves nothing half-done, and no lock held, when the pipeline stops during the plan' {
        # Select-Object -First stops Enable-QemuNat while its plan runs: the work is cancelled and rolled back.
        $null = & ([scriptblock]::Create("$(Expand-Command $enableLab) -Verbose 4>&1")) | Select-Object -First 3
        Compare-HostSnapshot $initial 'the stopped command left nothing'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Invoke-Quiet $enableLab
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the stopped command holds no lock'
        Invoke-Quiet $teardown[0]
        Compare-HostSnapshot $initial 'after the case'
    }

    It 'keeps <Object> that appears just before the step <Step>: the error names the step, the rest is undone' -TestCases @(
        @{ Object = 'a foreign bridge qn-lab'; Step = '^ip -batch'; Kind = 'nat'; Setup = @(); Command = $enableCommand; Inverse = $disableCommand
            Create = '& ip -n $hostNs link add qn-lab type bridge'; Intact = '(& ip -n $hostNs -d link show qn-lab | Out-String) -notmatch "alias"'; Cleanup = '& ip -n $hostNs link del qn-lab' }
        @{ Object = 'a foreign nft table inet qemunet_lab'; Step = 'nft -j -e -a -f'; Kind = 'nat'; Setup = @(); Command = $enableCommand; Inverse = $disableCommand
            Create = '& ip netns exec $hostNs nft add table inet qemunet_lab; & ip netns exec $hostNs nft add chain inet qemunet_lab mine'
            Intact = '(& ip netns exec $hostNs nft list table inet qemunet_lab | Out-String) -match "chain mine \{\s*\}"'; Cleanup = '& ip netns exec $hostNs nft delete table inet qemunet_lab' }
        @{ Object = 'a foreign DNS server on the gateway address'; Step = '^dnsmasq'; Kind = 'nat'; Setup = @(); Command = $enableCommand; Inverse = $disableCommand
            Create = '& ip netns exec $hostNs busybox httpd -p 198.51.100.1:53 -h $scratch'
            Intact = '[bool](& ip netns exec $hostNs busybox netstat -ltn | Select-String ":53 ")'; Cleanup = '& pkill -f "busybox httpd -p 198.51.100.1:53"' }
        @{ Object = 'a foreign bridge br0'; Step = 'ip link add name br0'; Kind = 'bridge'; Setup = @(); Command = 'New-QemuBridge -Name br0 -Uplink eth0 @NS'; Inverse = 'Remove-QemuBridge -Name br0 @NS'
            Create = '& ip -n $hostNs link add br0 type bridge'; Intact = '(& ip -n $hostNs -d link show br0 | Out-String) -notmatch "alias"'; Cleanup = '& ip -n $hostNs link del br0' }
        @{ Object = 'an admin''s edit of bridge.conf'; Step = 'write /etc/qemu/bridge.conf'; Kind = 'file'; Setup = @(); Command = 'Grant-QemuBridgeAccess -Bridge br7 -Confirm:$false'; Inverse = 'Revoke-QemuBridgeAccess -Bridge br7 -Confirm:$false'
            Create = '$null = New-Item -ItemType Directory -Force /etc/qemu; Set-Content /etc/qemu/bridge.conf "allow br9"'
            Intact = '(Get-Content -Raw /etc/qemu/bridge.conf) -eq "allow br9`n"'; Cleanup = 'Remove-Item /etc/qemu/bridge.conf' }
    ) {
        foreach ($setupCommand in $Setup) { Invoke-Quiet $setupCommand }
        $base = Get-HostSnapshot
        $point = @(Get-PlanTrace -Script (Expand-Command $Command) -Kind $Kind -Scratch $scratch -Matching $Step)[0]
        $point | Should -Not -BeNullOrEmpty -Because "the plan has a step '$Step'"
        Invoke-Quiet $Inverse
        Compare-HostSnapshot $base 'the inverse of a clean run'
        $failure = try {
            $pauseFile = Join-Path $scratch 'pause-foreign'
            $child = Start-ChildPwsh -Script (Expand-Command $Command) -Environment @{
                QEMUNET_STATE_DIR = $state; QEMUNET_DNSMASQ_DIR = "$state-dnsmasq"; QEMUNET_TEST_PAUSE = "${Kind}:${point}:before"; QEMUNET_TEST_PAUSE_FILE = $pauseFile
            }
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path $pauseFile) -and -not $child.HasExited -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 25 }
            Test-Path $pauseFile | Should -BeTrue -Because "the run must reach $point"
            # Someone else makes the object between the plan's look at the host and this step.
            $null = & ([scriptblock]::Create($Create))
            Remove-Item $pauseFile
            $child.WaitForExit(60000) | Should -BeTrue
            $child.ExitCode | Should -Not -Be 0 -Because 'the step cannot go ahead over what someone else made'
            $said = $child.Output.Result + $child.Errors.Result
            $said | Should -Match "Step '.+' on .+ failed" -Because 'the error names the step'
            & ([scriptblock]::Create($Intact)) | Should -BeTrue -Because "$Object is left as its owner made it"
        } catch { "${Object}: $_" } finally {
            Remove-Item $pauseFile -ErrorAction Ignore
            try { $null = & ([scriptblock]::Create($Cleanup)) } catch { Write-Verbose "cleanup: $_" }
        }
        Write-StressResult -Area Faults -Case "$Object before '$Step'" -Runs 1 -Failures @($failure).Count
        $failure | Should -BeNullOrEmpty
        Compare-HostSnapshot $base 'nothing else was left'
    }
}

Describe 'Forged state' -Skip:([bool]$skip) {
    BeforeEach { $script:key = Get-NamespaceKey $hostNs }

    It 'refuses a state directory another user owns, with a symlink planted in it, and writes nothing through it' {
        $victim = Join-Path $scratch 'victim'
        Set-Content $victim 'root-owned, precious' -NoNewline
        $planted = Join-Path ([IO.Path]::GetTempPath()) ("qemunet-planted-" + [guid]::NewGuid().ToString('n').Substring(0, 6))
        $null = New-Item -ItemType Directory -Path (Join-Path $planted "nat/$key")
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $planted "nat/$key/lab.json") -Target $victim
        & chown -R nobody $planted
        try {
            $run = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$planted'; try { $(Expand-Command $enableLab) } catch { `$_.FullyQualifiedErrorId; `$_.TargetObject }"
            $run.Output | Should -Match 'StateDirectoryUnsafe'
            $run.Output | Should -Match ([regex]::Escape($planted))
            Get-Content -Raw $victim | Should -Be 'root-owned, precious'
            Compare-HostSnapshot $initial 'nothing changed in the namespace or the books'
            & ip -n $hostNs link show qn-lab 2>$null | Should -BeNullOrEmpty
        } finally {
            Remove-Item $planted -Recurse -Force
            Remove-Item $victim
        }
    }

    It 'refuses a record whose <Case> and runs nothing on its behalf' -TestCases @(
        @{ Case = 'name carries an nft command'; Record = 'pwn'; Json = '{"Name":"sy; add table ip pwned","BridgeName":"qn-x","Subnet":"198.51.100.0/24","Gateway":"198.51.100.1"}'; Id = 'StateRecordInvalid' }
        @{ Case = 'name carries $(…)'; Record = 'sub'; Json = '{"Name":"$(touch /tmp/qemunet-pwned)","BridgeName":"qn-x","Subnet":"198.51.100.0/24","Gateway":"198.51.100.1"}'; Id = 'StateRecordInvalid' }
        @{ Case = 'domain carries a newline'; Record = 'nl'; Json = '{"Name":"nl","BridgeName":"qn-nl","Subnet":"198.51.100.0/24","Gateway":"198.51.100.1","DomainName":"a\nserver=/x/203.0.113.9"}'; Id = 'StateRecordInvalid' }
        @{ Case = 'JSON is torn'; Record = 'torn'; Json = '{"Name":"torn","BridgeName":"qn-to'; Id = 'StateRecordCorrupt' }
    ) {
        $dir = Join-Path $state "nat/$key"
        $null = New-Item -ItemType Directory -Path $dir -Force
        $file = Join-Path $dir "$Record.json"
        Set-Content $file $Json -NoNewline
        try {
            $before = Get-HostSnapshot
            $nets = @(Get-QemuNat -NetworkNamespace $hostNs -ErrorVariable problems -ErrorAction SilentlyContinue)
            $nets | Should -BeNullOrEmpty
            $problems.Count | Should -Be 1
            ($problems[0].FullyQualifiedErrorId -split ',')[0] | Should -Be $Id
            $problems[0].TargetObject | Should -Be $file
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
            # A changing command for that name stops with the same id, before any host change.
            $err = Get-Failure { Disable-QemuNat -Name $Record -NetworkNamespace $hostNs -Confirm:$false }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $Id
            Compare-HostSnapshot $before 'nothing was done on behalf of the record'
            & ip netns exec $hostNs nft list tables | Out-String | Should -Not -Match 'pwned'
            Test-Path /tmp/qemunet-pwned | Should -BeFalse
        } finally {
            Remove-Item $file
        }
    }

    It 'reports a journal torn in the middle with its path, and changes nothing' {
        $dir = Join-Path $state "nat/$key"
        $null = New-Item -ItemType Directory -Path $dir -Force
        $journal = Join-Path $dir 'lab.journal'
        Set-Content $journal "{`"Type`":`"begin`"}`n{`"Type`":`"inte`n{`"Type`":`"done`",`"At`":`"1.1`"}`n" -NoNewline
        try {
            $before = Get-HostSnapshot
            $err = Get-Failure { Invoke-Quiet $enableLab }
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'StateJournalCorrupt'
            $err.TargetObject | Should -Be $journal
            $err.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape($journal))
            Compare-HostSnapshot $before 'a corrupt journal stops the command before any change'
        } finally {
            Remove-Item $journal
        }
    }
}

Describe 'Both ways into a namespace share one set of books; locks are per namespace' -Skip:([bool]$skip) {
    It 'enables under ip netns exec, then sees and disables the same network with -NetworkNamespace' {
        # pwsh started inside the namespace, as an admin does with ip netns exec, works on its current namespace.
        $dotnet = (Get-Process -Id $PID).Path
        $pwshDll = [Environment]::GetCommandLineArgs()[0]
        $inside = & ip netns exec $hostNs $dotnet $pwshDll -NoProfile -NonInteractive -Command "`$ErrorActionPreference = 'Stop'; Import-Module '$ModuleManifest'; (Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Confirm:`$false).NetworkNamespace" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($inside | Out-String)
        ($inside | Out-String).Trim() | Should -Be $hostNs -Because 'the namespace is named by its identity, however it was entered'
        $net = Get-QemuNat -Name lab -NetworkNamespace $hostNs
        $net.State | Should -Be 'Active'
        Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Confirm:$false
        Compare-HostSnapshot $initial 'disabled from the other side, ip_forward restored'
    }

    It 'a lock held in one namespace does not block another' {
        $otherNs = New-TestNamespace 'qnt-englock'
        try {
            $lockDir = Join-Path $state "nat/$(Get-NamespaceKey $otherNs)"
            $null = New-Item -ItemType Directory -Path $lockDir -Force
            $holder = Start-Process -FilePath flock -ArgumentList @((Join-Path $lockDir '.lock'), 'sleep', '120') -PassThru
            Start-Sleep -Milliseconds 300
            $watch = [Diagnostics.Stopwatch]::StartNew()
            Invoke-Quiet $enableLab
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the held lock belongs to another namespace'
            Invoke-Quiet $teardown[0]
            $err = Get-Failure { Enable-QemuNat -Name held -Subnet 198.51.100.0/24 -NetworkNamespace $otherNs -Confirm:$false -WhatIf }
            $err | Should -BeNullOrEmpty -Because '-WhatIf takes no lock'
        } finally {
            if ($holder -and -not $holder.HasExited) { & kill $holder.Id; $holder.WaitForExit() }
            Remove-TestNamespace $otherNs
        }
        Compare-HostSnapshot $initial 'after the case'
    }
}

Describe 'Real clients get reservations added after Enable' -Skip:([bool]$skip -or -not (Get-Command dhclient -ErrorAction Ignore) -or -not (Get-Command dig -ErrorAction Ignore)) {
    It 'with the state directory at <Mode>: ISC dhclient gets the reserved address and dig resolves its name' -TestCases @(
        @{ Mode = '0700'; Umask = '077' }
        @{ Mode = '0755'; Umask = '022' }
    ) {
        $private = Join-Path ([IO.Path]::GetTempPath()) ("qemunet-umask-" + [guid]::NewGuid().ToString('n').Substring(0, 6))
        $null = New-Item -ItemType Directory -Path $private
        & chmod $Mode.Substring(1) $private
        $clientNs = New-TestNamespace 'qnt-engcli'
        $mac = '52:54:00:00:00:33'
        $dhcp = Join-Path $private 'client'
        $null = New-Item -ItemType Directory -Path $dhcp
        # The client's own script only puts the address on its link: it never touches the host's resolv.conf.
        Set-Content (Join-Path $dhcp 'script') "#!/bin/sh`ncase `"`$reason`" in BOUND|RENEW|REBIND|REBOOT) ip addr add `"`$new_ip_address/24`" dev `"`$interface`" ;; esac`nexit 0`n" -NoNewline
        & chmod 755 (Join-Path $dhcp 'script')
        try {
            $childEnv = @{ QEMUNET_STATE_DIR = $private; QEMUNET_DNSMASQ_DIR = "$private-dnsmasq" }
            # Enable, then the reservation, both under the umask of the case (077 makes every new directory 0700).
            $child = Start-ChildPwsh -Umask $Umask -Environment $childEnv -Script @"
Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DomainName lab.test -NetworkNamespace $hostNs -Confirm:`$false | Out-Null
Add-QemuNatReservation -Network lab -MacAddress $mac -IPAddress 198.51.100.77 -HostName webby -NetworkNamespace $hostNs -Confirm:`$false | Out-Null
"@
            $child.WaitForExit(120000) | Should -BeTrue
            $child.ExitCode | Should -Be 0
            & ip link add cli0 netns $hostNs type veth peer name eth0 netns $clientNs
            & ip -n $hostNs link set cli0 master qn-lab
            & ip -n $hostNs link set cli0 up
            & ip -n $clientNs link set eth0 address $mac
            & ip -n $clientNs link set eth0 up
            & timeout 60 ip netns exec $clientNs dhclient -1 -sf (Join-Path $dhcp 'script') -lf (Join-Path $dhcp 'leases') -pf (Join-Path $dhcp 'pid') eth0 2>&1 | Out-Null
            Get-Content -Raw (Join-Path $dhcp 'leases') | Should -Match 'fixed-address 198\.51\.100\.77;'
            (& ip -n $clientNs -4 -br addr show eth0 | Out-String) | Should -Match '198\.51\.100\.77/24'
            (& ip netns exec $clientNs dig +short +time=2 +tries=2 webby.lab.test '@198.51.100.1' | Out-String).Trim() | Should -Be '198.51.100.77'
            $env:QEMUNET_STATE_DIR = $private
            $env:QEMUNET_DNSMASQ_DIR = "$private-dnsmasq"
            (Get-QemuNat -Name lab -NetworkNamespace $hostNs).Drift | Should -BeNullOrEmpty
            # A reservation dnsmasq cannot read (as nobody) is drift.
            & chmod 700 (Join-Path "$private-dnsmasq" (Get-NamespaceKey $hostNs))
            ((Get-QemuNat -Name lab -NetworkNamespace $hostNs).Drift -join ' ') | Should -Match 'cannot read'
            & chmod 755 (Join-Path "$private-dnsmasq" (Get-NamespaceKey $hostNs))
        } finally {
            if (Test-Path (Join-Path $dhcp 'pid')) { & kill (Get-Content (Join-Path $dhcp 'pid')) 2>$null }
            Disable-QemuNat -Name lab -NetworkNamespace $hostNs -Confirm:$false -Force -ErrorAction Continue
            $env:QEMUNET_STATE_DIR = $state
            $env:QEMUNET_DNSMASQ_DIR = "$state-dnsmasq"
            & ip -n $hostNs link del cli0 2>$null
            Remove-TestNamespace $clientNs
            Remove-Item $private, "$private-dnsmasq" -Recurse -Force -ErrorAction Ignore
        }
        Compare-HostSnapshot $initial 'after the case'
    }
}
