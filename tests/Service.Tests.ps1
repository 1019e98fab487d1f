# The systemd unit that brings autostart networks back at boot: written into a folder the test makes (never
# /etc/systemd/system), checked by systemd's own verifier, idempotent, and removed exactly by Unregister.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = if (-not (Get-Command systemd-analyze -ErrorAction Ignore)) { 'systemd-analyze is not installed (apt install systemd)' }
    if ($skip) { Write-Warning "Skipping the service tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    Import-Module $ModuleManifest -Force
}

Describe 'Register-QemuNetService and Unregister-QemuNetService' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:units = Join-Path $state 'units'
        $null = New-Item -ItemType Directory -Path $units
        $script:unit = Join-Path $units 'qemunet-restore.service'
    }
    AfterAll {
        Remove-TestStateDirectory $state
    }
    AfterEach {
        Remove-Item (Join-Path $units '*') -Recurse -Force -ErrorAction Ignore
    }

    It '-WhatIf shows the unit''s text and writes nothing' {
        $out = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$state'; Register-QemuNetService -UnitDirectory '$units' -WhatIf"
        $out.ExitCode | Should -Be 0 -Because $out.Output
        $out.Output | Should -Match 'After=network-online\.target'
        $out.Output | Should -Match 'ExecStart=.*-Command Restore-QemuNetwork'
        Test-Path $unit | Should -BeFalse
    }

    It 'writes a unit systemd-analyze verify accepts, that runs this module''s Restore-QemuNetwork, and writes it once' {
        $before = @(Get-ChildItem -Recurse $units | ForEach-Object FullName)
        $file = Register-QemuNetService -UnitDirectory $units -PassThru -Confirm:$false
        $file.FullName | Should -Be $unit
        $text = Get-Content -Raw $unit
        $text | Should -Match '^# Written by QemuNet'
        $text | Should -Match "Environment=`"PSModulePath=$([regex]::Escape((Split-Path (Split-Path (Split-Path $ModuleManifest)))))`""
        $text | Should -Match "Environment=`"QEMUNET_CONFIG_DIR=$([regex]::Escape($env:QEMUNET_CONFIG_DIR))`"" -Because 'the definitions it restores are the ones this session keeps'
        $text | Should -Match 'Type=oneshot'
        $text | Should -Match 'WantedBy=multi-user\.target'
        $verify = & systemd-analyze verify $unit 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $verify
        $verify | Should -Not -Match 'qemunet-restore' -Because "systemd has nothing to say about it: $verify"

        # What the unit runs, run by hand: PowerShell finds the module through the unit's PSModulePath.
        $exec = ($text -split "`n" | Where-Object { $_ -like 'ExecStart=*' }).Substring('ExecStart='.Length)
        $words = [regex]::Matches($exec, '"([^"]*)"|(\S+)') | ForEach-Object { if ($_.Groups[1].Success) { $_.Groups[1].Value } else { $_.Groups[2].Value } }
        $modulePath = [regex]::Match($text, 'PSModulePath=([^"]*)"').Groups[1].Value
        $env:PSModulePath, $saved = $modulePath, $env:PSModulePath
        try { $ran = & $words[0] @($words | Select-Object -Skip 1 | ForEach-Object { if ($_ -eq 'Restore-QemuNetwork') { 'Get-Command Restore-QemuNetwork | ForEach-Object Source' } else { $_ } }) 2>&1 | Out-String }
        finally { $env:PSModulePath = $saved }
        $ran.Trim() | Should -Be 'QemuNet'

        $again = Register-QemuNetService -UnitDirectory $units -Confirm:$false -Verbose 4>&1 | Out-String
        $again | Should -Match 'nothing to change'
        Unregister-QemuNetService -UnitDirectory $units -Confirm:$false
        @(Get-ChildItem -Recurse $units | ForEach-Object FullName) | Should -Be $before -Because 'Unregister removes exactly what Register wrote'
    }

    It 'passes over a pwsh on PATH this user cannot run (a copied $PSHOME), as a shell would' {
        $bin = Join-Path $state 'bin'
        $null = New-Item -ItemType Directory -Path $bin -Force
        $fake = Join-Path $bin 'pwsh'
        Set-Content $fake "#!/bin/sh`nexit 1`n" -NoNewline
        & chmod 0644 $fake
        $out = Invoke-ChildPwsh "`$env:PATH = '${bin}:' + `$env:PATH; `$env:QEMUNET_STATE_DIR = '$state'; Register-QemuNetService -UnitDirectory '$units' -WhatIf"
        $out.ExitCode | Should -Be 0 -Because $out.Output
        $out.Output | Should -Match 'ExecStart=\S'
        $out.Output | Should -Not -Match ([regex]::Escape("ExecStart=`"$fake`"")) -Because 'a file without execute permission is not a program'
        & chmod 0755 $fake
        $out = Invoke-ChildPwsh "`$env:PATH = '${bin}:' + `$env:PATH; `$env:QEMUNET_STATE_DIR = '$state'; Register-QemuNetService -UnitDirectory '$units' -WhatIf"
        $out.Output | Should -Match ([regex]::Escape("ExecStart=`"$fake`"")) -Because 'the same file, executable, is the first pwsh on PATH'
        Test-Path $unit | Should -BeFalse
    }

    It 'refuses <Case> with <ErrorId> and writes nothing' -TestCases @(
        @{ Case = 'a pwsh path with a $'; ErrorId = 'ServicePathInvalid'; Command = { Register-QemuNetService -UnitDirectory $units -PwshPath '/usr/bin/$(reboot)' -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a pwsh that is not there'; ErrorId = 'ServicePwshNotFound'; Command = { Register-QemuNetService -UnitDirectory $units -PwshPath '/nonexistent/pwsh' -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a module folder without QemuNet'; ErrorId = 'ServiceModuleNotFound'; Command = { Register-QemuNetService -UnitDirectory $units -ModulePath $units -Confirm:$false -ErrorAction Stop } }
        @{ Case = 'a unit folder with a quote'; ErrorId = 'ServicePathInvalid'; Command = { Register-QemuNetService -UnitDirectory "$units/a`"b" -Confirm:$false -ErrorAction Stop } }
    ) {
        $err = Get-Failure $Command
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        @(Get-ChildItem $units).Count | Should -Be 0
    }

    It 'leaves a unit of that name it did not write: Register does not replace it, Unregister does not remove it' {
        Set-Content $unit "[Service]`nExecStart=/bin/true`n" -NoNewline
        $taken = Get-Failure { Register-QemuNetService -UnitDirectory $units -Confirm:$false -ErrorAction Stop }
        ($taken.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ServiceUnitNotOurs'
        $taken.TargetObject | Should -Be $unit
        $err = Get-Failure { Unregister-QemuNetService -UnitDirectory $units -Confirm:$false -ErrorAction Stop }
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ServiceUnitNotOurs'
        $err.TargetObject | Should -Be $unit
        Get-Content -Raw $unit | Should -Be "[Service]`nExecStart=/bin/true`n"
        Remove-Item $unit
    }
}
