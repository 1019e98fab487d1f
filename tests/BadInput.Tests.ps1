# The bad-input corpus (tests/data/BadInput.psd1): every case stops with its stable error id, a real category and
# before any host change. As root the whole corpus runs in a child pwsh inside a throwaway namespace (a case that
# wrongly succeeded could only change that namespace); as a normal user it runs here.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Qemu
    if ($skip) { Write-Warning "Skipping the bad-input corpus: $skip" }
    $corpus = @((Import-PowerShellDataFile (Join-Path $PSScriptRoot 'data/BadInput.psd1')).Cases)
    $cases = for ($i = 0; $i -lt $corpus.Count; $i++) { @{ Index = $i; Command = $corpus[$i].Command; ErrorId = $corpus[$i].ErrorId } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
}

Describe 'The bad-input corpus' -Skip:([bool]$skip) {
    BeforeAll {
        $script:state = New-TestStateDirectory
        $script:ns = if ($IsRoot) { New-TestNamespace 'qnt-bad' }
        $script:aclPath = '/etc/qemu/bridge.conf'

        function Get-Snapshot {
            $run = { param($file, $arguments) if ($ns) { & ip netns exec $ns $file @arguments 2>&1 } else { & $file @arguments 2>&1 } }
            [pscustomobject]@{
                Links   = (& $run ip @('-br', 'link')) -join "`n"
                Addrs   = (& $run ip @('-br', 'addr')) -join "`n"
                Ruleset = if ($IsRoot) { (& $run nft @('list', 'ruleset')) -join "`n" } else { '(not readable without root)' }
                Books   = @(Get-ChildItem $state, "$state-dnsmasq" -Recurse -File -ErrorAction Ignore | Where-Object Name -ne '.lock' | ForEach-Object FullName) -join "`n"
                Acl     = if (Test-Path $aclPath) { Get-Content $aclPath -Raw } else { '(none)' }
            }
        }

        $script:before = Get-Snapshot
        $corpusPath = Join-Path $PSScriptRoot 'data/BadInput.psd1'
        $runner = @"
`$ErrorActionPreference = 'Stop'
# Relative paths of the cases land in the books' folder; the location is given back (it runs in this process without root).
Push-Location '$state'
`$cases = @((Import-PowerShellDataFile '$corpusPath').Cases)
for (`$i = 0; `$i -lt `$cases.Count; `$i++) {
    `$result = try { `$null = Invoke-Expression `$cases[`$i].Command *>&1; @{ ErrorId = '(none)' } }
        catch { @{ ErrorId = (`$_.FullyQualifiedErrorId -split ',')[0]; Category = [string]`$_.CategoryInfo.Category; Target = [string]`$_.TargetObject } }
    'CASE ' + (@{ Index = `$i } + `$result | ConvertTo-Json -Compress)
}
Pop-Location
"@
        $output = if ($ns) {
            $dotnet = (Get-Process -Id $PID).Path
            $pwshDll = [Environment]::GetCommandLineArgs()[0]
            $full = "Import-Module '$ModuleManifest'; $runner"
            $argv = @('netns', 'exec', $ns) + @(if ($pwshDll -like '*.dll') { $dotnet, $pwshDll } else { $pwshDll }) + @('-NoProfile', '-NonInteractive', '-Command', $full)
            & ip @argv 2>&1
        }
        else {
            & ([scriptblock]::Create($runner)) 6>$null
        }
        $script:results = @{}
        foreach ($line in $output | ForEach-Object { "$_" } | Where-Object { $_ -like 'CASE *' }) {
            $r = $line.Substring(5) | ConvertFrom-Json
            $results[[int]$r.Index] = $r
        }
        $script:rawOutput = ($output | Out-String)
    }
    AfterAll {
        Remove-TestStateDirectory $state
        if ($ns) { Remove-TestNamespace $ns }
    }

    It 'holds at least 80 cases' {
        @((Import-PowerShellDataFile (Join-Path $PSScriptRoot 'data/BadInput.psd1')).Cases).Count | Should -BeGreaterOrEqual 80
    }

    It '<Command> stops with <ErrorId>' -TestCases $cases {
        $results.ContainsKey($Index) | Should -BeTrue -Because "the case ran`n$rawOutput"
        $results[$Index].ErrorId | Should -BeExactly $ErrorId -Because "($($results[$Index].Category): $($results[$Index].Target))"
        $results[$Index].Category | Should -Not -Be 'NotSpecified'
    }

    It 'changed nothing: links, addresses, nftables, books and the helper ACL are as before' {
        $after = Get-Snapshot
        foreach ($p in 'Links', 'Addrs', 'Ruleset', 'Books', 'Acl') { $after.$p | Should -Be $before.$p -Because "$p must be as it was" }
    }
}
