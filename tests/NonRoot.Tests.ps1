# What a user who is not root gets: a report from Test-QemuNetHost, every plan with -WhatIf, and one clear refusal
# (HostChangeNeedsRoot, before any step) from every command that would change the host's network. As root this
# suite skips itself: build.ps1 -Task Test runs it again as an unprivileged user it makes for the purpose.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = if ($IsRoot) { 'runs as a user who is not root (build.ps1 -Task Test runs it as its unprivileged user)' } else { Get-TestSkipReason -Need Qemu }
    if ($skip) { Write-Warning "Skipping the non-root tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
}

Describe 'A user who is not root' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:aclPath = '/etc/qemu/bridge.conf'

        function Get-HostSnapshot {
            [pscustomobject]@{
                Links = (Get-ChildItem /sys/class/net -Name | Sort-Object) -join ' '
                Books = @(Get-ChildItem $state -Recurse -File -ErrorAction Ignore | Where-Object Name -ne '.lock' | ForEach-Object FullName) -join ' '
                Acl   = if (Test-Path $aclPath) { Get-Content $aclPath -Raw } else { '(none)' }
            }
        }

        # Runs $Body in a child pwsh under `unshare --user --net` (this user, no capabilities, its own network
        # namespace), the guest's bits on hand; returns the $result it filled, checked to come from a user who is not root.
        function Invoke-InUserNamespace([string]$Body) {
            $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModuleManifest'
`$env:QEMUNET_STATE_DIR = '$state'
function Wait-Line([string]`$VmName, [string]`$Pattern) {
    `$deadline = [datetime]::UtcNow.AddSeconds(90)
    while ([datetime]::UtcNow -lt `$deadline) {
        `$hit = @(Get-Content (Get-QemuVm -Name `$VmName).ConsoleLog | Where-Object { `$_ -match `$Pattern })
        if (`$hit) { return `$hit[0] }
        Start-Sleep -Milliseconds 200
    }
    return 'timeout: ' + `$Pattern
}
`$result = [ordered]@{ Uid = (& id -u); Error = `$null }
try {
$Body
} catch {
    `$result.Error = "`$_ [`$(`$_.FullyQualifiedErrorId)]"
} finally {
    Get-QemuVm | Remove-QemuVm -Force -Confirm:`$false
}
`$result | ConvertTo-Json -Compress
"@
            $pwshDll = [Environment]::GetCommandLineArgs()[0]
            $invocation = if ($pwshDll -like '*.dll') { @((Get-Process -Id $PID).Path, $pwshDll) } else { @($pwshDll) }
            $out = & unshare --user --net @invocation -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
            $result = ($out -split "`n" | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1) | ConvertFrom-Json
            $result | Should -Not -BeNullOrEmpty -Because $out
            $result.Error | Should -BeNullOrEmpty
            $result.Uid | Should -Not -Be '0'
            return $result
        }

        function Assert-HostUnchanged($Before) {
            $after = Get-HostSnapshot
            foreach ($p in 'Links', 'Books', 'Acl') { $after.$p | Should -Be $Before.$p -Because "$p must be as it was" }
        }
    }
    AfterAll { Remove-TestStateDirectory $state }

    It 'gets findings from Test-QemuNetHost, its own lack of root among them' {
        $checks = @(Test-QemuNetHost)
        $checks.Count | Should -BeGreaterThan 5
        ($checks | Where-Object Check -EQ 'Root').Status | Should -Be 'Warning'
        ($checks | Where-Object Check -EQ 'ip').Status | Should -Be 'Ok' -Because 'ip is found in sbin even when PATH lacks it'
    }

    It 'sees the whole Enable-QemuNat plan with -WhatIf, and a note of what it could not read' {
        $before = Get-HostSnapshot
        $run = Invoke-ChildPwsh 'Enable-QemuNat -Name nonroot -Subnet 198.51.100.0/24 -WhatIf'
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'What if: \[qn-nonroot\] Create bridge'
        $run.Output | Should -Match 'masquerade'
        $run.Output | Should -Match 'dnsmasq --conf-file='
        $run.Output | Should -Match 'WARNING: This plan is what user id \d+ can see'
        $run.Output | Should -Not -Match 'ProgramNotFound|Operation not permitted'
        Assert-HostUnchanged $before
    }

    It '<Command> is refused with HostChangeNeedsRoot before any change' -TestCases @(
        @{ Command = 'Enable-QemuNat'; Target = 'qn-nonroot'; Run = { Enable-QemuNat -Name nonroot -Subnet 198.51.100.0/24 -Confirm:$false } }
        @{ Command = 'New-QemuBridge'; Target = 'qnt-nonroot'; Run = { New-QemuBridge -Name qnt-nonroot -Confirm:$false } }
        @{ Command = 'Grant-QemuBridgeAccess'; Target = '/etc/qemu/bridge.conf'; Run = { Grant-QemuBridgeAccess -Bridge qnt-nonroot -Confirm:$false } }
        @{ Command = 'Revoke-QemuBridgeAccess'; Target = '/etc/qemu/bridge.conf'; Run = { Revoke-QemuBridgeAccess -Bridge qnt-nonroot -Confirm:$false } }
    ) {
        $before = Get-HostSnapshot
        $err = Get-Failure $Run
        $err | Should -Not -BeNullOrEmpty
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HostChangeNeedsRoot'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.TargetObject | Should -Be $Target
        $err.ErrorDetails.RecommendedAction | Should -Match 'sudo|root'
        Assert-HostUnchanged $before
    }

    It 'changes a running user-mode guest over QMP: a host forward, a hot-plugged NIC, the cable (no root, own network namespace)' -Skip:(-not (Test-Path (Join-Path $GuestDir 'initrd.img'))) {
        # Was refused with HostChangeNeedsRoot: the privilege check took QMP actions for link changes. The guest runs
        # under `unshare --user --net`, as this user (no capabilities), so its forwards bind nothing of the machine's.
        $guest = "-Kernel '$(Join-Path $GuestDir 'vmlinuz')' -Initrd '$(Join-Path $GuestDir 'initrd.img')' -Accelerator Tcg -Memory 256"
        $result = Invoke-InUserNamespace @"
    `$null = New-QemuUserNet | New-QemuNic -Model virtio | Start-QemuVm -Name nr $guest -Append '$GuestAppend qn_hold=300'
    `$null = Wait-Line nr '^QEMUNET-READY'
    `$null = Add-QemuVmHostForward -VmName nr -HostForward 'tcp:0.0.0.0:18401-:80' -Confirm:`$false
    `$result.Forward = @(Get-QemuVmHostForward -VmName nr | ForEach-Object { "`$(`$_.Forward) `$(`$_.Active)" })
    `$nic = New-QemuUserNet -Subnet 198.51.100.0/24 | New-QemuNic -Model virtio | Add-QemuVmNic -VmName nr -Confirm:`$false
    `$result.Added = Wait-Line nr "^QEMUNET-NIC-ADDED .*mac=`$(`$nic.MacAddress)"
    `$result.Lease = Wait-Line nr '^QEMUNET-LEASE name=eth1 '
    Set-QemuVmNic -VmName nr -Id nic0 -LinkState Down -Confirm:`$false
    `$result.Carrier = Wait-Line nr '^QEMUNET-CARRIER name=eth0 carrier=0'
    Remove-QemuVmNic -VmName nr -Id `$nic.Id -Confirm:`$false
    `$result.Gone = Wait-Line nr '^QEMUNET-NIC-GONE name=eth1'
    `$result.Nics = @((Get-QemuVmNic -VmName nr).Id)
"@
        $result.Forward | Should -Contain 'tcp:0.0.0.0:18401-:80 True'
        $result.Lease | Should -Match 'ip=198\.51\.100\.15 '
        $result.Carrier | Should -Match 'carrier=0$'
        $result.Gone | Should -Match 'NIC-GONE'
        $result.Nics | Should -Be @('nic0')
    }

    It 'converts an old -net command line and starts it: two NICs on vlan 0 lease from one user network (no root)' -Skip:(-not (Test-Path (Join-Path $GuestDir 'initrd.img'))) {
        $line = "qemu-kvm -m 256 -kernel '$(Join-Path $GuestDir 'vmlinuz')' -initrd '$(Join-Path $GuestDir 'initrd.img')' -append '$GuestAppend qn_hold=120' " +
            '-net nic,vlan=0,model=e1000 -net nic,vlan=0,model=virtio -net user,vlan=0,hostfwd=tcp:127.0.0.1:18402-:80'
        $result = Invoke-InUserNamespace @"
    `$vm = ConvertFrom-QemuCommandLine "$($line -replace '"', '`"')" | Start-QemuVm -Name nrcl -Accelerator Tcg
    `$deadline = [datetime]::UtcNow.AddSeconds(90)
    do {
        Start-Sleep -Milliseconds 300
        `$leases = @(Get-Content `$vm.ConsoleLog | Where-Object { `$_ -like 'QEMUNET-LEASE *' })
    } until (`$leases.Count -ge 2 -or [datetime]::UtcNow -gt `$deadline)
    `$result.Leases = `$leases
    `$result.Users = @(`$vm.Arguments | Where-Object { `$_ -like 'user,*' }).Count
"@
        $result.Users | Should -Be 1 -Because 'one user network serves both NICs through the hub'
        ($result.Leases -replace '.* ip=(\S+) .*', '$1' | Sort-Object) | Should -Be @('10.0.2.15', '10.0.2.16')
    }

    It 'build.ps1 finds the root tools in sbin, so it does not call installed packages missing' {
        # It warned "Missing system packages: dnsmasq-base, nftables" to a user whose PATH lacks /usr/sbin.
        $script = Join-Path $RepoRoot 'build.ps1'
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($script, [ref]$null, [ref]$null)
        $definitions = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $n.Name -in 'Test-Program', 'Test-DebianPackage' }, $true)
        $packages = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.AssignmentStatementAst] -and $n.Left.Extent.Text -eq '$systemPackages' }, $true) | Select-Object -First 1
        $check = [scriptblock]::Create((@($definitions.Extent.Text) + $packages.Extent.Text + '$systemPackages') -join "`n")
        $path = $env:PATH
        try {
            $env:PATH = '/usr/local/bin:/usr/bin:/bin'
            $found = . $check
            foreach ($package in 'iproute2', 'dnsmasq-base', 'nftables') {
                $tool = @{ 'iproute2' = 'ip'; 'dnsmasq-base' = 'dnsmasq'; 'nftables' = 'nft' }[$package]
                $installed = [bool](@('/usr/sbin', '/sbin', '/usr/bin', '/bin') | Where-Object { Test-Path "$_/$tool" })
                (& $found[$package]) | Should -Be $installed -Because "$package is $(if (-not $installed) { 'not ' })installed"
            }
        }
        finally { $env:PATH = $path }
    }
}
