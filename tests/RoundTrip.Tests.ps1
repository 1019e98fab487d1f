# Spec objects saved and loaded again (Export-Clixml, ConvertTo-Json, Export-Csv), as users keep them and as
# remoting delivers them, must start the same guest as the originals: the same QEMU argument list. An object that
# is no spec must stop Start-QemuVm before anything starts. Runs as root and as a normal user (no host change).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $qemuSkip = Get-TestSkipReason -Need Qemu
    if ($qemuSkip) { Write-Warning "Skipping the round-trip tests: $qemuSkip" }
    $natSkip = Get-TestSkipReason -Need Root, Qemu, Nat

    $specs = @(
        @{ Spec = 'a NIC on a user network with forwards'; Make = "New-QemuUserNet -HostForward 'tcp:127.0.0.1:18081-:80', 'udp::15353-:53' -Restrict -HostName guest1 | New-QemuNic -Model e1000 -MacAddress 52:54:00:12:00:07 -PciAddress 6 -BootIndex 1" }
        @{ Spec = 'a user network alone'; Make = "New-QemuUserNet -Subnet 10.0.3.0/24 -DhcpStart 10.0.3.20 -HostForward 18082:22, 'tcp:127.0.0.1:18083-:443'" }
        @{ Spec = 'a TAP with scripts'; Make = 'New-QemuTap -IfName tapsaved -Script /bin/true -DownScript /bin/true -Vhost Off' }
        @{ Spec = 'a NIC on a TAP'; Make = 'New-QemuTap -IfName tapsaved2 -Script /bin/true | New-QemuNic -Model virtio -Vectors 4 -MacAddress 52:54:00:12:00:08' }
        @{ Spec = 'a NIC on the default network'; Make = 'New-QemuNic -Model rtl8139 -MacAddress 52:54:00:12:00:09 -BootIndex 0' }
        @{ Spec = 'several objects in order'; Make = '@((New-QemuNic -Model e1000 -MacAddress 52:54:00:12:00:0a), (New-QemuTap -IfName tapsaved3 -Script /bin/true), (New-QemuUserNet -HostForward 18084:80))' }
    )
    # A CSV row keeps no nested objects: a NIC's backend comes back from its BackendSpec text. Objects of several
    # kinds in one CSV cannot: Export-Csv writes the first one's columns for all.
    $cases = foreach ($s in $specs) {
        foreach ($form in 'Clixml', 'Json', 'Csv') {
            # Export-Csv writes the first object's columns for all: the TAP's and the user network's rows come out empty.
            $refusedWith = if ($form -eq 'Csv') {
                switch ($s.Spec) { 'several objects in order' { 'VmInputNotBound' } }
            }
            @{ Spec = $s.Spec; Make = $s.Make; Form = $form; Refused = [bool]$refusedWith; ErrorId = $refusedWith }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Invoke-SavedStart {
        <# In a child pwsh: the QEMU argument lines that Start-QemuVm -WhatIf shows for the objects, and for their saved form. #>
        param([string]$Make, [string]$Form, [string]$Start = 'Start-QemuVm -Name rt -Accelerator Tcg -WhatIf')
        $file = Join-Path $scratch "saved-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $run = Invoke-ChildPwsh @"
`$o = $Make
`$saved = switch ('$Form') {
    'Clixml' { `$o | Export-Clixml '$file'; Import-Clixml '$file' }
    'Json' { `$o | ConvertTo-Json -WarningAction Ignore | ConvertFrom-Json }
    'Csv' { `$o | Export-Csv '$file'; Import-Csv '$file' }
}
'@@ORIGINAL'; `$o | $Start
'@@SAVED'; try { `$saved | $Start } catch { '@@ERROR ' + `$_.FullyQualifiedErrorId + ' ' + `$_ }
"@
        $sections = @{}; $current = $null
        foreach ($line in $run.Output -split "`n") {
            if ($line -match '^@@(ORIGINAL|SAVED)') { $current = $Matches[1]; $sections[$current] = [System.Collections.Generic.List[string]]::new(); continue }
            if ($current) { $sections[$current].Add($line) }
        }
        $argv = { param($lines) @($lines | Where-Object { $_ -match '^\s*\+ \S*qemu-system-x86_64 ' } | ForEach-Object { $_.Trim() }) }
        [pscustomobject]@{
            Output   = $run.Output
            Original = @(& $argv $sections['ORIGINAL'])
            Saved    = @(& $argv $sections['SAVED'])
            Error    = @($sections['SAVED'] | Where-Object { $_ -like '@@ERROR *' }) -join "`n"
        }
    }
}

Describe 'Saved specs' -Skip:([bool]$qemuSkip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:scratch = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "qnt-saved-$([guid]::NewGuid().ToString('n').Substring(0, 6))")).FullName
    }
    AfterAll {
        Remove-TestStateDirectory $state
        Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    }

    It '<Spec> saved as <Form> starts the same guest as the original' -TestCases @($cases | Where-Object { -not $_.Refused }) {
        $r = Invoke-SavedStart -Make $Make -Form $Form
        $r.Original.Count | Should -Be 1 -Because $r.Output
        $r.Error | Should -BeNullOrEmpty -Because $r.Output
        $r.Saved | Should -Be $r.Original -Because "the $Form form must give the same QEMU arguments`n$($r.Output)"
    }

    It '<Spec> saved as <Form> is refused (<ErrorId>), not put on another network' -TestCases @($cases | Where-Object { $_.Refused }) {
        $r = Invoke-SavedStart -Make $Make -Form $Form
        $r.Original.Count | Should -Be 1 -Because $r.Output
        $r.Saved | Should -BeNullOrEmpty
        $r.Error | Should -Match "^@@ERROR $ErrorId,"
    }

    It 'an object that is no spec stops Start-QemuVm before any guest starts (VmInputNotBound)' {
        # It used to print a binding error and boot a guest on the default NIC anyway.
        $kernel = Join-Path $GuestDir 'vmlinuz'
        foreach ($piped in @(@([pscustomobject]@{ Foo = 1 }), @((New-QemuNic -Model e1000), [pscustomobject]@{ Foo = 1 }), @(Get-Date))) {
            $err = Get-Failure { $piped | Start-QemuVm -Name notbound -Accelerator Tcg -Memory 64 }
            $err | Should -Not -BeNullOrEmpty
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'VmInputNotBound'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.TargetObject | Should -Not -BeNullOrEmpty
            Get-QemuVm | Should -BeNullOrEmpty
            @(Get-ChildItem $state -Recurse -File).Count | Should -Be 0 -Because 'nothing was started or written'
            @(& pgrep -f "$state" 2>$null).Count | Should -Be 0
        }
    }

    It 'a hand-edited saved NIC gets the same checks as New-QemuNic' {
        $bad = [pscustomobject]@{ Model = 'e1000'; MacAddress = '52:54:00:zz:00:01'; Backend = $null }
        $err = Get-Failure { $bad | Start-QemuVm -Name badmac -Accelerator Tcg -WhatIf }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NicMacInvalid'
        $err.TargetObject | Should -Be '52:54:00:zz:00:01'
    }

    It 'CSV rows with empty cells become NICs with those values not given' {
        # An empty PciAddress cell failed ValidateNotNullOrEmpty, and an empty BootIndex became boot index 0.
        $csv = Join-Path $scratch 'nics.csv'
        @('Model,MacAddress,PciAddress,Vectors,BootIndex', 'e1000,52:54:00:00:00:0a,6,,', 'virtio,,,,2', ',52:54:00:00:00:0c,,4,') | Set-Content $csv
        $nics = @(Import-Csv $csv | New-QemuNic)
        $nics.Count | Should -Be 3
        $nics[0].PciAddress | Should -Be '06.0'
        $nics[0].BootIndex | Should -BeNullOrEmpty
        $nics[1].MacAddress | Should -BeNullOrEmpty
        $nics[1].BootIndex | Should -Be 2
        $nics[2].Model | Should -Be 'virtio' -Because 'an empty Model cell is the default model'
        $nics[2].Vectors | Should -Be 4
    }

    It 'a NIC piped to New-QemuNic gives a NIC with its model, MAC and PCI address' {
        $nic = New-QemuNic -Model e1000 -MacAddress 52:54:00:00:00:0d
        $copy = $nic | New-QemuNic
        $copy.Model | Should -Be 'e1000'
        $copy.MacAddress | Should -Be '52:54:00:00:00:0d'
        $copy.PciAddress | Should -BeNullOrEmpty
    }
}

Describe 'A saved NAT network' -Skip:([bool]$natSkip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:scratch = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "qnt-saved-$([guid]::NewGuid().ToString('n').Substring(0, 6))")).FullName
        $script:ns = New-TestNamespace 'qnt-saved'
        Enable-QemuNat -Name saved -Subnet 198.51.100.0/24 -NetworkNamespace $ns -Confirm:$false | Out-Null
    }
    AfterAll {
        Disable-QemuNat -Name saved -NetworkNamespace $ns -Confirm:$false -ErrorAction Continue
        Remove-TestStateDirectory $state
        Remove-TestNamespace $ns
        Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    }

    It 'saved as <_> starts the guest on that network' -ForEach 'Clixml', 'Json', 'Csv' {
        $r = Invoke-SavedStart -Make "Get-QemuNat -Name saved -NetworkNamespace $ns" -Form $_ -Start "Start-QemuVm -Name rtnat -Accelerator Tcg -NetworkNamespace $ns -WhatIf"
        $r.Original.Count | Should -Be 1 -Because $r.Output
        $r.Original | Should -Match 'br=qn-saved|ifname=' -Because $r.Output
        $r.Saved | Should -Be $r.Original -Because $r.Output
    }
}
