# Installing QemuNet like every PowerShell module: the .nupkg of build.ps1 -Task Package, put in a folder repository,
# installed with PSResourceGet into a throwaway HOME and imported by name. Also what the staged module holds.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:ModuleDir = Split-Path $ModuleManifest -Parent
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $ModuleManifest
    $script:Package = if ($env:QEMUNET_TEST_PACKAGE) { $env:QEMUNET_TEST_PACKAGE } else {
        Join-Path $RepoRoot "output/QemuNet.$($Manifest.ModuleVersion).nupkg"
    }
    if (-not (Test-Path $Package)) { throw "The package $Package was not found; run ./build.ps1 -Task Package first." }

    function Get-ChangelogSection([string]$Version) {
        <# The lines under "## <version> ..." in CHANGELOG.md, up to the next "## " heading. #>
        $lines = (Get-Content -LiteralPath (Join-Path $RepoRoot 'CHANGELOG.md') -Raw) -replace "`r", '' -split "`n"
        $start = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -eq "## $Version" -or $l.StartsWith("## $Version ") })
        if ($start -lt 0) { return $null }
        $section = foreach ($line in $lines[($start + 1)..($lines.Count - 1)]) { if ($line.StartsWith('## ')) { break }; $line }
        return ($section -join "`n").Trim()
    }

    function Get-RelativeFile([string]$Directory) {
        @(Get-ChildItem -LiteralPath $Directory -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($Directory, $_.FullName) } | Sort-Object)
    }

    function Get-AssemblyReferenceName([string]$Path) {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new([IO.File]::OpenRead($Path))
        try {
            $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            foreach ($handle in $metadata.AssemblyReferences) { $metadata.GetString($metadata.GetAssemblyReference($handle).Name) }
        }
        finally { $pe.Dispose() }
    }

    function Invoke-IsolatedPwsh {
        <#
        Runs a script in a child pwsh whose HOME is $HomeDirectory, without our XDG_* directories or PSModulePath, so
        it sees no module or PSResourceGet repository of ours, and what it registers or installs stays in that HOME.
        #>
        param([Parameter(Mandatory)][string]$HomeDirectory, [Parameter(Mandatory)][string]$Script, [hashtable]$Environment = @{})
        $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        # Under "dotnet pwsh" this process is dotnet and pwsh.dll its first argument.
        if ([IO.Path]::GetFileName([Environment]::ProcessPath) -eq 'dotnet') { $start.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
        foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', $Script) { $start.ArgumentList.Add($argument) }
        foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath') { $null = $start.Environment.Remove($name) }
        $start.Environment['HOME'] = $HomeDirectory
        # Relative writes stay in there too (NuGet inside PSResourceGet writes ./NuGet/NuGet.Config without ~/.config).
        $start.WorkingDirectory = $HomeDirectory
        $start.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        foreach ($name in $Environment.Keys) { $start.Environment[$name] = [string]$Environment[$name] }
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(180000)) { $process.Kill($true); $process.WaitForExit() }
        return [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result + $stderr.Result }
    }
}

Describe 'The staged module' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $ModuleManifest -ErrorAction Stop
        $info.Name | Should -Be 'QemuNet'
        $info.Version | Should -Be ([version]$Manifest.ModuleVersion)
        @($info.ExportedCmdlets.Keys) | Should -Contain 'New-QemuNic'
    }

    It "carries this version's CHANGELOG.md section as its release notes" {
        $section = Get-ChangelogSection $Manifest.ModuleVersion
        $section | Should -Not -BeNullOrEmpty -Because "CHANGELOG.md needs a '## $($Manifest.ModuleVersion)' section"
        $Manifest.PrivateData.PSData.ReleaseNotes | Should -BeExactly $section
    }

    It 'names no placeholder address' {
        Get-Content -LiteralPath $ModuleManifest -Raw | Should -Not -Match 'example\.invalid'
        foreach ($key in 'ProjectUri', 'LicenseUri', 'IconUri') {
            $Manifest.PrivateData.PSData[$key] | Should -BeNullOrEmpty -Because "no $key exists yet"
        }
    }

    It 'holds the assemblies the module loads, the files its manifest names and the help, nothing else' {
        # Assemblies: QemuNet.dll and every assembly it needs, directly or not, that neither .NET nor PowerShell brings.
        $runtime = [Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
        $needed = [Collections.Generic.HashSet[string]]::new()
        $pending = [Collections.Generic.Queue[string]]::new()
        $pending.Enqueue([IO.Path]::GetFileNameWithoutExtension($Manifest.RootModule))
        while ($pending.Count) {
            $name = $pending.Dequeue()
            if (-not $needed.Add("$name.dll")) { continue }
            $file = Join-Path $ModuleDir "$name.dll"
            if (-not (Test-Path $file)) { continue }
            foreach ($reference in Get-AssemblyReferenceName $file) {
                if (-not (Test-Path (Join-Path $runtime "$reference.dll")) -and -not (Test-Path (Join-Path $PSHOME "$reference.dll"))) { $pending.Enqueue($reference) }
            }
        }
        $expected = @($needed) + 'QemuNet.psd1' + $Manifest.FormatsToProcess +
            "en-US/$($Manifest.RootModule)-Help.xml" +
            @(Get-ChildItem (Join-Path $RepoRoot 'en-US') -Filter 'about_*.md' | ForEach-Object { "en-US/$($_.BaseName).help.txt" })
        Get-RelativeFile $ModuleDir | Should -Be @($expected | Sort-Object)
    }
}

Describe 'Install-PSResource QemuNet from a folder repository' {
    BeforeAll {
        $script:scratch = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-install-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
        $script:installHome = Join-Path $scratch 'home'
        $repository = Join-Path $scratch 'repository'
        $script:resultFile = Join-Path $scratch 'result.json'
        $null = New-Item -ItemType Directory -Path $installHome, $repository
        Copy-Item $Package $repository

        # The user's own PSResourceGet settings, which the install must leave as they are.
        $script:userSettings = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'PSResourceGet/PSResourceRepository.xml'
        $script:userSettingsBefore = Get-Content -LiteralPath $userSettings -Raw -ErrorAction Ignore

        # PSGallery, which PSResourceGet registers in a new settings file, goes first: only the folder is asked.
        $script:run = Invoke-IsolatedPwsh -HomeDirectory $installHome -Environment @{ QEMUNET_REPOSITORY = $repository; QEMUNET_RESULT = $resultFile } -Script @'
$ErrorActionPreference = 'Stop'
Unregister-PSResourceRepository -Name PSGallery
Register-PSResourceRepository -Name QemuNetLocal -Uri $env:QEMUNET_REPOSITORY -Trusted
$before = @(Get-Module -ListAvailable QemuNet | ForEach-Object ModuleBase)
$found = Find-PSResource -Name QemuNet -Repository QemuNetLocal
Install-PSResource -Name QemuNet -Repository QemuNetLocal -Scope CurrentUser -TrustRepository
Import-Module QemuNet
$module = Get-Module QemuNet
[ordered]@{
    Repositories    = @(Get-PSResourceRepository | ForEach-Object Name)
    AvailableBefore = $before
    FoundVersion    = [string]$found.Version
    FoundNotes      = $found.ReleaseNotes
    ModuleBase      = $module.ModuleBase
    Version         = [string]$module.Version
    Files           = @(Get-ChildItem $module.ModuleBase -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($module.ModuleBase, $_.FullName) })
    Nic             = New-QemuNic -Model e1000 | Out-String
    Synopsis        = (Get-Help New-QemuNic).Synopsis
    About           = Get-Help about_QemuNet | Out-String
} | ConvertTo-Json | Set-Content -LiteralPath $env:QEMUNET_RESULT
'@
        $script:result = if (Test-Path $resultFile) { Get-Content -LiteralPath $resultFile -Raw | ConvertFrom-Json }
    }
    AfterAll {
        Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    }

    It 'installs and imports without error, in a scope with no other repository' {
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $result | Should -Not -BeNullOrEmpty -Because $run.Output
        @($result.Repositories) | Should -Be @('QemuNetLocal')
        @($result.AvailableBefore).Count | Should -Be 0 -Because "QemuNet was found before the install: $($result.AvailableBefore)"
    }

    It 'loads the module by name from where PSResourceGet installed it' {
        # PSResourceGet's CurrentUser scope on Linux, the first folder of PowerShell's own module path.
        $result.ModuleBase | Should -Be (Join-Path $installHome ".local/share/powershell/Modules/QemuNet/$($Manifest.ModuleVersion)")
        $result.Version | Should -Be $Manifest.ModuleVersion
    }

    It 'installs every staged file' {
        # PSGetModuleInfo.xml is PSResourceGet's own record of the install.
        @($result.Files | Where-Object { $_ -ne 'PSGetModuleInfo.xml' } | Sort-Object) | Should -Be (Get-RelativeFile $ModuleDir)
    }

    It 'runs a cmdlet, with its format view' {
        $result.Nic | Should -Match '(?m)^Model\s+MacAddress'
        $result.Nic | Should -Match '(?m)^e1000\s'
    }

    It 'brings the help along' {
        $page = Get-Content -LiteralPath (Join-Path $RepoRoot 'en-US/New-QemuNic.md') -Raw
        $synopsis = [regex]::Match($page, '(?ms)^## SYNOPSIS\s*\n(.+?)\n\s*\n').Groups[1].Value.Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $result.Synopsis | Should -Be $synopsis
        $result.About | Should -Match 'THE THREE NETWORK MODES'
    }

    It 'offers the release notes in the repository, and no placeholder address' {
        $result.FoundVersion | Should -Be $Manifest.ModuleVersion
        $result.FoundNotes | Should -BeExactly (Get-ChangelogSection $Manifest.ModuleVersion)
        $zip = [IO.Compression.ZipFile]::OpenRead($Package)
        try {
            $reader = [IO.StreamReader]::new($zip.GetEntry('QemuNet.nuspec').Open())
            $nuspec = $reader.ReadToEnd(); $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec | Should -Match '<releaseNotes>'
        $nuspec | Should -Not -Match 'example\.invalid'
    }

    It "leaves the user's PSResourceGet settings as they were" {
        Get-Content -LiteralPath $userSettings -Raw -ErrorAction Ignore | Should -Be $userSettingsBefore
    }
}
