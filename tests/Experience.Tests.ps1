# The PowerShell experience: help for every cmdlet (and its examples run), tab completion, the Test-QemuNetHost
# preflight, and errors that say what to do. Formatted output is tested in Format.Tests.ps1.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $commands = @(Get-Command -Module QemuNet -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
    $qemuSkip = Get-TestSkipReason -Need Qemu
    $rootSkip = Get-TestSkipReason -Need Root, Nat
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'
}

Describe 'Help for <Name>' -ForEach $commands {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + ' \[') -Because 'an auto-generated synopsis is the syntax line'
        ($help.description.Text -join '').Length | Should -BeGreaterThan 80
    }

    It 'describes every parameter' {
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $text = (Get-Help $Name -Parameter $parameter).description.Text -join ''
            $text | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }

    It 'has at least two examples, each with code and an explanation' {
        $examples = @((Get-Help $Name -Examples).examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty
            ($example.remarks.Text -join '').Trim() | Should -Not -BeNullOrEmpty
        }
    }

    It 'names its inputs and outputs' {
        $help.inputTypes.inputType.type.name | Should -Not -BeNullOrEmpty
        $help.returnValues.returnValue.type.name | Should -Not -BeNullOrEmpty
    }

    It 'names parameter types as PowerShell users know them' {
        $text = $help | Out-String -Width 300
        $text | Should -Not -Match 'Nullable`1'
        foreach ($parameter in $command.Parameters.Values | Where-Object { $_.Name -notin $common -and $_.ParameterType -ne [switch] }) {
            $type = $parameter.ParameterType
            $shown = ([Nullable]::GetUnderlyingType($type) ?? $type).Name
            $text | Should -Match ('-' + $parameter.Name + ' <' + [regex]::Escape($shown) + '>') -Because "-$($parameter.Name) is a $type"
        }
    }

    It 'shows every output block of its page with the lines aligned as written' {
        # Get-Help trims a paragraph and indents each of its lines alike: a line that moved would show here.
        $shown = @((Get-Help $Name -Full | Out-String -Width 1000) -split '\r?\n' | ForEach-Object TrimEnd)
        $page = (Get-Content -Raw (Join-Path $PSScriptRoot "../en-US/$Name.md")) -replace '\r', ''
        foreach ($block in [regex]::Matches($page, '(?s)```output\n(.*?)\n```')) {
            $lines = @($block.Groups[1].Value -split '\n')
            $found = foreach ($start in 0..($shown.Count - $lines.Count)) {
                $indent = $shown[$start].Length - $shown[$start].TrimStart().Length
                $aligned = $true
                for ($i = 0; $i -lt $lines.Count -and $aligned; $i++) {
                    $aligned = $shown[$start + $i] -ceq (' ' * $indent + $lines[$i]).TrimEnd()
                }
                if ($aligned) { $start }
            }
            $found | Should -Not -BeNullOrEmpty -Because "this output block should appear with its lines aligned:`n$($block.Groups[1].Value)"
        }
    }
}

Describe 'Help examples' -Skip:([bool]$qemuSkip) {
    BeforeAll {
        # Every example not marked "# Needs ..." runs in a fresh pwsh, in a throwaway namespace when root
        # (so even a mistaken example cannot touch the host), with an empty state directory.
        $script:examples = foreach ($c in Get-Command -Module QemuNet -CommandType Cmdlet | Sort-Object Name) {
            $i = 0
            foreach ($e in @((Get-Help $c.Name -Examples).examples.example)) {
                $i++
                [pscustomobject]@{ Command = $c.Name; Index = $i; Code = [string]$e.code; Runs = -not ([string]$e.code).TrimStart().StartsWith('# Needs') }
            }
        }
        $runnable = @($examples | Where-Object Runs)
        $driver = Join-Path ([IO.Path]::GetTempPath()) "qemunet-examples-$([guid]::NewGuid().ToString('n').Substring(0, 8)).ps1"
        $lines = @('$results = [ordered]@{}')
        foreach ($e in $runnable) {
            $key = "$($e.Command)#$($e.Index)"
            $lines += "`$env:QEMUNET_STATE_DIR = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ('qemunet-ex-' + [guid]::NewGuid().ToString('n')))).FullName"
            $lines += "try { `$null = & { `$ErrorActionPreference = 'Stop'; $($e.Code)`n } *>&1; `$results['$key'] = 'ok' } catch { `$results['$key'] = `$_.ToString() + ' [' + `$_.FullyQualifiedErrorId + ']' }"
            $lines += "Get-QemuVm -ErrorAction Ignore | Stop-QemuVm -TurnOff -Confirm:`$false -ErrorAction Ignore; Remove-Item `$env:QEMUNET_STATE_DIR -Recurse -Force -ErrorAction Ignore"
        }
        $lines += '$results | ConvertTo-Json -Compress'
        Set-Content $driver ($lines -join "`n")
        $script:ns = if ($IsRoot) { New-TestNamespace 'qnt-ex' }
        $pwsh = [Environment]::GetCommandLineArgs()[0]
        $dotnet = (Get-Process -Id $PID).Path
        # Never in the machine's own namespace (its addresses may overlap an example's subnet): root uses a throwaway
        # namespace; a normal user gets one of its own through a user namespace, where available.
        $ownNet = @('unshare', '--user', '--map-root-user', '--net')
        if (-not $ns) { & $ownNet[0] $ownNet[1..3] true 2>$null }
        $prefix = if ($ns) { @('ip', 'netns', 'exec', $ns) } elseif ($LASTEXITCODE -eq 0) { $ownNet } else { @() }
        $invocation = if ($pwsh -like '*.dll') { @($dotnet, $pwsh) } else { @($pwsh) }
        $all = $prefix + $invocation + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModuleManifest'; . '$driver'")
        $out = & $all[0] $all[1..($all.Count - 1)] 2>&1 | Out-String
        $script:results = ($out -split "`n" | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1) | ConvertFrom-Json -AsHashtable
        $script:rawOutput = $out
        Remove-Item $driver -ErrorAction Ignore
    }
    AfterAll {
        if ($ns) { Remove-TestNamespace $ns }
    }

    It 'has a runnable example for most cmdlets' {
        @($examples | Where-Object Runs | Select-Object -Unique Command).Count | Should -BeGreaterOrEqual 15
    }

    It 'runs every example that needs no root, without error' {
        $results | Should -Not -BeNullOrEmpty -Because $rawOutput
        foreach ($e in $examples | Where-Object Runs) {
            $results["$($e.Command)#$($e.Index)"] | Should -Be 'ok' -Because "$($e.Command) example $($e.Index):`n$($e.Code)"
        }
    }
}

Describe 'about_QemuNet' {
    It 'explains the modes, root, undo, running guests and troubleshooting' {
        $text = Get-Help about_QemuNet | Out-String
        foreach ($topic in 'THE THREE NETWORK MODES', 'WHAT NEEDS ROOT', 'HOW TO UNDO', 'RUNNING GUESTS', 'VmNicNotHotpluggable', 'TROUBLESHOOTING', 'DOCKER-USER', 'bridge.conf', 'ping_group_range', 'port 53') {
            $text | Should -Match ([regex]::Escape($topic))
        }
    }
}

Describe 'Test-QemuNetHost with a normal user''s PATH' {
    It 'runs the tools it finds in sbin even when PATH lacks sbin (a normal user''s PATH)' -Skip:([bool]$qemuSkip) {
        # The preflight found nft and iptables in /usr/sbin, then ran them by bare name and died with ProgramNotFound.
        $run = Invoke-ChildPwsh "`$env:PATH = '/usr/local/bin:/usr/bin:/bin'; Test-QemuNetHost | Out-String -Width 200"
        $run.Output | Should -Not -Match 'ProgramNotFound|Cannot run'
        $run.Output | Should -Match 'Check\s+Status'
        $run.ExitCode | Should -Be 0
    }
}

Describe 'Tab completion' {
    BeforeAll {
        $script:state = New-TestStateDirectory
        # Books are kept per namespace identity (inode and cookie), the current one's as the module computes it.
        $here = [QemuNet.Core.Engine.NetworkNamespaceId]::Current().Key
        $null = New-Item -ItemType Directory -Path (Join-Path $state "nat/$here")
        '{}' | Set-Content (Join-Path $state "nat/$here/lab.json")
        '{}' | Set-Content (Join-Path $state "nat/$here/lan2.json")
        @{ Name = 'web01'; Pid = 0; QemuPath = '/usr/bin/qemu-system-x86_64'; Arguments = @(); StateDirectory = $state } | ConvertTo-Json |
            Set-Content (Join-Path $state 'web01.vm.json')

        function Get-Completion([string]$Line) {
            <# What Tab offers at the end of $Line. #>
            @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
        }
    }
    AfterAll { Remove-TestStateDirectory $state }

    It 'completes -Model from the installed QEMU' -Skip:([bool]$qemuSkip) {
        $line = 'New-QemuNic -Model e10'
        @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) | Should -Contain 'e1000'
    }

    It 'completes VM names for Get-QemuVm and Stop-QemuVm' {
        foreach ($line in 'Get-QemuVm -Name we', 'Stop-QemuVm -Name w') {
            @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) | Should -Be 'web01'
        }
    }

    It 'completes NAT network names' {
        $line = 'Get-QemuNat -Name la'
        @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) | Should -Be 'lab', 'lan2'
        $line = 'Disable-QemuNat -Name lan'
        @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) | Should -Be 'lan2'
    }

    It 'completes NAT network names of the namespace given' -Skip:(-not $IsRoot) {
        $otherNs = New-TestNamespace 'qnt-compl'
        try {
            $dir = Join-Path $state "nat/$(Get-NamespaceKey $otherNs)"
            $null = New-Item -ItemType Directory -Path $dir
            '{}' | Set-Content (Join-Path $dir 'lab9.json')
            $line = "Get-QemuNat -NetworkNamespace $otherNs -Name la"
            @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) | Should -Be 'lab9' -Because 'names come from the namespace given'
        } finally {
            Remove-TestNamespace $otherNs
        }
    }

    It 'completes -Uplink with the links of this namespace that can be one' {
        # What /sys says of each link: an uplink is no loopback (IFF_LOOPBACK in flags), bridge or TUN/TAP; for
        # New-QemuBridge not a bridge's port either (Enable-QemuNat masquerades through the port's bridge).
        $uplinkLike = @(Get-ChildItem /sys/class/net | Where-Object {
                ([Convert]::ToInt32((Get-Content (Join-Path $_.FullName 'flags')), 16) -band 0x8) -eq 0 -and
                -not (Test-Path (Join-Path $_.FullName 'bridge')) -and -not (Test-Path (Join-Path $_.FullName 'tun_flags'))
            })
        $forNat = [string[]]@($uplinkLike.Name)
        $forBridge = [string[]]@($uplinkLike | Where-Object { -not (Test-Path (Join-Path $_.FullName 'master')) } | ForEach-Object Name)
        foreach ($list in $forNat, $forBridge) { [Array]::Sort($list, [StringComparer]::Ordinal) }
        Get-Completion 'New-QemuBridge -Name br9 -Uplink ' | Should -Be $forBridge
        Get-Completion 'Enable-QemuNat -Name lab9 -Uplink ' | Should -Be $forNat
        Get-Completion 'New-QemuBridge -Name br9 -Uplink l' | Should -Not -Contain 'lo' -Because 'the loopback is never an uplink'
    }

    Context 'in a namespace with a bridge, a TAP and a veth pair' {
        BeforeAll {
            $script:nsSkip = Get-TestSkipReason -Need Root
            $script:ns = $null
            if (-not $nsSkip) {
                $script:ns = New-TestNamespace 'qnt-tab'
                $id = [guid]::NewGuid().ToString('n').Substring(0, 6)
                $script:links = @{ Bridge = "qb$id"; Tap = "qt$id"; Free = "qv${id}a"; Port = "qv${id}b" }
                & ip -n $ns link add $links.Bridge type bridge
                & ip -n $ns tuntap add dev $links.Tap mode tap
                & ip -n $ns link add $links.Free type veth peer name $links.Port
                & ip -n $ns link set dev $links.Port master $links.Bridge
                $LASTEXITCODE | Should -Be 0 -Because 'the test links were made'
            }
        }
        AfterAll { if ($ns) { Remove-TestNamespace $ns } }
        BeforeEach { if ($nsSkip) { Set-ItResult -Skipped -Because $nsSkip } }

        It 'completes -NetworkNamespace on every cmdlet that has it' {
            $commands = @(Get-Command -Module QemuNet | Where-Object { $_.Parameters.ContainsKey('NetworkNamespace') } | ForEach-Object Name)
            $commands | Should -Contain 'Start-QemuVm'
            $commands | Should -Contain 'New-QemuTap'
            $commands | Should -Contain 'Enable-QemuNat'
            foreach ($command in $commands) {
                Get-Completion "$command -NetworkNamespace $($ns.Substring(0, $ns.Length - 2))" | Should -Be $ns -Because "$command -NetworkNamespace lists ip netns names"
            }
        }

        It 'completes bridge names of the namespace given' {
            foreach ($line in "Get-QemuBridge -NetworkNamespace $ns -Name ", "New-QemuTap -NetworkNamespace $ns -Bridge ", "Remove-QemuBridge -NetworkNamespace $ns -Name ") {
                Get-Completion $line | Should -Be $links.Bridge -Because "'$line' lists the bridges of $ns"
            }
            Get-Completion "Get-QemuBridge -Name $($links.Bridge)" | Should -BeNullOrEmpty -Because 'without -NetworkNamespace the bridges come from this namespace'
        }

        It 'completes -Uplink of the namespace given with the links that can be one' {
            Get-Completion "New-QemuBridge -NetworkNamespace $ns -Name br9 -Uplink " | Should -Be $links.Free -Because 'lo, the bridge, the TAP and the bridge''s port cannot be its uplink'
            Get-Completion "Enable-QemuNat -NetworkNamespace $ns -Name lab9 -Uplink " | Should -Be $links.Free, $links.Port -Because 'a NAT network masquerades through a bridge port''s bridge, but not out of lo, a bridge or a TAP'
        }
    }
}

Describe 'Piping objects of the current namespace' {
    It 'treats a null NetworkNamespace property as the current namespace, not as bad input' {
        $err = $null
        [pscustomobject]@{ NetworkNamespace = $null } | Get-QemuBridge -Name nosuchbr0 -ErrorVariable err -ErrorAction SilentlyContinue
        ($err[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'BridgeNotFound'
    }
}

Describe 'Test-QemuNetHost in a namespace with a foreign forward-drop table' -Skip:([bool]$rootSkip) {
    BeforeAll {
        $script:ns = New-TestNamespace 'qnt-pre'
        "table inet dockerlike {`n`tchain forward_filter {`n`t`ttype filter hook forward priority 0; policy drop;`n`t}`n}`n" | & ip netns exec $ns nft -f -
    }
    AfterAll { Remove-TestNamespace $ns }

    It 'reports the drop policy with the chain and a fix, and what it blocks' {
        $checks = Test-QemuNetHost -NetworkNamespace $ns
        $drop = $checks | Where-Object Check -eq 'Forward drop policy'
        $drop.Status | Should -Be 'Warning'
        $drop.Value | Should -Be 'inet dockerlike forward_filter'
        $drop.Blocks.ToString() | Should -Match 'Nat'
        $drop.Fix | Should -Match 'nft insert rule inet dockerlike forward_filter'
        ($checks | Where-Object Check -eq 'Root').Status | Should -Be 'Ok'
        ($checks | Where-Object Check -eq '/dev/net/tun').Status | Should -Be 'Ok'
        (Test-QemuNetHost -NetworkNamespace $ns -Problem).Status | Should -Not -Contain 'Ok'
    }

    It 'reports nothing dropping in a namespace without such a table' {
        $clean = New-TestNamespace 'qnt-pre'
        try {
            (Test-QemuNetHost -NetworkNamespace $clean | Where-Object Check -eq 'Forward drop policy').Status | Should -Be 'Ok'
        }
        finally { Remove-TestNamespace $clean }
    }

    It 'sees a DNS server listening in the namespace' {
        $listener = Start-Process ip -ArgumentList 'netns', 'exec', $ns, 'busybox', 'nc', '-l', '-p', '53' -PassThru
        $deadline = [datetime]::UtcNow.AddSeconds(5)
        do { Start-Sleep -Milliseconds 100; $ports = (Test-QemuNetHost -NetworkNamespace $ns | Where-Object Check -eq 'Ports 53 and 67') }
        until ($ports.Status -eq 'Warning' -or [datetime]::UtcNow -gt $deadline)
        $ports.Value | Should -Match 'tcp6?/53'
        Stop-Process -Id $listener.Id -ErrorAction Ignore
    }
}

Describe 'Errors that teach' {
    It '<Case> fails with <ErrorId>, a message and a recommended action' -TestCases @(
        @{ Case = 'an unknown NIC model'; ErrorId = 'NicModelUnknown'; Script = { New-QemuNic -Model nosuchnic } }
        @{ Case = 'a bad MAC'; ErrorId = 'NicMacInvalid'; Script = { New-QemuNic -MacAddress 52:54:00:zz:00:01 } }
        @{ Case = 'a bad TAP name'; ErrorId = 'TapIfNameInvalid'; Script = { New-QemuTap -IfName 'tap/0' } }
        @{ Case = '-Fd with -IfName'; ErrorId = 'TapFdConflict'; Script = { New-QemuTap -Fd 3 -IfName tap0 } }
        @{ Case = 'a bad host forward'; ErrorId = 'UserNetHostForwardInvalid'; Script = { New-QemuUserNet -HostForward 'tcp:x' } }
        @{ Case = 'a VM that does not exist'; ErrorId = 'VmNotFound'; Script = { Get-QemuVm -Name nosuchvm -ErrorAction Stop } }
        @{ Case = 'a NIC model QEMU lacks'; ErrorId = 'NicModelNotFound'; Script = { Get-QemuNicModel -Name nosuchnic -ErrorAction Stop } }
        @{ Case = 'an existing ifup script'; ErrorId = 'IfupScriptExists'; Script = { $f = New-TemporaryFile; try { Export-QemuIfupScript -Bridge br0 -Path $f } finally { Remove-Item $f } } }
    ) {
        $err = $null
        try { & $Script } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        $err.Exception.Message.Length | Should -BeGreaterThan 20
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }
}
