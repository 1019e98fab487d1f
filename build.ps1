#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and demonstrates the QemuNet module.
.DESCRIPTION
    Build: compiles src/ and stages the module into output/QemuNet/<version>/.
    Package: Build, then the module's .nupkg (what Publish-PSResource pushes to a repository) in output/.
    Test:  Build, Package, installs missing system packages (as root, with apt), builds the test guest, runs the xunit
           tests of QemuNet.Core and the Pester tests of the module, and ends with "Tests: N passed, N failed".
    Stress: Build, then the crash harness of every plan kind (NAT, bridge, ACL, VM start and stop, the uplink move) killed at
           every host action, before and after it ran (the Test task tries a few points of each).
    Demo:  Build, then boots a tiny guest through the module's pipeline with user-mode networking and fetches
           a page from it through a host port forward.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Stress', 'Demo', 'Clean')]
    [string]$Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    # Pester tests to run (paths or names under tests/); all when empty.
    [string[]]$TestPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $root 'QemuNet.psd1')
$version = $manifest.ModuleVersion
$output = Join-Path $root 'output'
$moduleDir = Join-Path $output "QemuNet/$version"
$guestDir = Join-Path $output 'guest'

# Debian package => what shows that it is installed. dnsmasq-base and nftables serve the NAT features.
$systemPackages = [ordered]@{
    'qemu-system-x86'   = { [bool](Get-Command qemu-system-x86_64 -CommandType Application -ErrorAction Ignore) }
    'busybox-static'    = { Test-DebianPackage 'busybox-static' }
    'linux-image-amd64' = { [bool](Get-ChildItem /boot/vmlinuz-* -ErrorAction Ignore) }
    'cpio'              = { [bool](Get-Command cpio -CommandType Application -ErrorAction Ignore) }
    'iproute2'          = { [bool](Get-Command ip -CommandType Application -ErrorAction Ignore) }
    'dnsmasq-base'      = { [bool](Get-Command dnsmasq -CommandType Application -ErrorAction Ignore) }
    'nftables'          = { [bool](Get-Command nft -CommandType Application -ErrorAction Ignore) }
    # Real clients for the NAT tests: ISC dhclient and dig against the network's dnsmasq.
    'isc-dhcp-client'   = { Test-DebianPackage 'isc-dhcp-client' }
    'bind9-dnsutils'    = { Test-DebianPackage 'bind9-dnsutils' }
}

function Test-DebianPackage([string]$Name) {
    if (-not (Get-Command dpkg-query -ErrorAction Ignore)) { return $false }
    $status = & dpkg-query -W -f '${db:Status-Status}' $Name 2>$null
    return $LASTEXITCODE -eq 0 -and $status -eq 'installed'
}

function Invoke-Native([string]$FilePath, [string[]]$ArgumentList) {
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Write-Host "Building QemuNet $version ($Configuration)" -ForegroundColor Cyan
    Invoke-Native dotnet @('build', (Join-Path $root 'src/QemuNet/QemuNet.csproj'), '-c', $Configuration, '-nologo', '-v', 'q',
        "-p:Version=$version", '-clp:ErrorsOnly')
    $bin = Join-Path $root "src/QemuNet/bin/$Configuration/net10.0"
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $moduleDir, (Join-Path $moduleDir 'en-US')
    foreach ($file in 'QemuNet.dll', 'QemuNet.Core.dll', 'CliWrap.dll', 'QemuNet.Format.ps1xml', 'QemuNet.Types.ps1xml') {
        Copy-Item (Join-Path $bin $file) $moduleDir
    }
    Write-StagedManifest
    Build-Help
    Write-Host "Module staged in $moduleDir"
}

function Get-ReleaseNote {
    <# This version's section of CHANGELOG.md: the lines under "## <version> ..." up to the next "## ". #>
    $changelog = (Get-Content -LiteralPath (Join-Path $root 'CHANGELOG.md') -Raw) -replace "`r", ''
    if ($changelog -notmatch ('(?ms)^## ' + [regex]::Escape($version) + '(?: [^\n]*)?\n(.*?)(?=^## |\z)') -or -not $Matches[1].Trim()) {
        throw "CHANGELOG.md has no section for $version ('## $version'); the manifest's release notes come from it."
    }
    return $Matches[1].Trim()
}

function Write-StagedManifest {
    <# The source manifest with PSData.ReleaseNotes added: the staged module (and so its package) carries this version's changes. #>
    $notes = Get-ReleaseNote
    $quoted = "'" + [System.Management.Automation.Language.CodeGeneration]::EscapeSingleQuotedStringContent($notes) + "'"
    $source = Get-Content -LiteralPath (Join-Path $root 'QemuNet.psd1') -Raw
    # A script block replacement, so '$' in the notes is not read as a group reference.
    $staged = $source -replace '(?m)^([ \t]*)PSData\s*=\s*@\{[ \t]*$', { "$($_.Value)`n$($_.Groups[1].Value)    ReleaseNotes = $quoted" }
    $path = Join-Path $moduleDir 'QemuNet.psd1'
    Set-Content -LiteralPath $path -Value $staged -NoNewline
    if ((Import-PowerShellDataFile -LiteralPath $path).PrivateData.PSData.ReleaseNotes -cne $notes) {
        throw "The staged manifest $path does not carry the release notes; QemuNet.psd1 needs a 'PSData = @{' line of its own."
    }
}

function Invoke-IsolatedPwsh {
    <#
    Runs a script in a child pwsh whose HOME is $HomeDirectory, without our XDG_* directories or PSModulePath: what it
    registers with PSResourceGet (~/.local/share/PSResourceGet/PSResourceRepository.xml) or installs stays in there.
    #>
    param([Parameter(Mandatory)][string]$HomeDirectory, [Parameter(Mandatory)][string]$Script, [hashtable]$Environment = @{})
    $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    # Under "dotnet pwsh" this process is dotnet and pwsh.dll its first argument.
    if ([IO.Path]::GetFileName([Environment]::ProcessPath) -eq 'dotnet') { $start.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
    foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', $Script) { $start.ArgumentList.Add($argument) }
    foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath') { $null = $start.Environment.Remove($name) }
    $start.Environment['HOME'] = $HomeDirectory
    # Relative writes stay in there too: without ~/.config, NuGet (inside Publish-PSResource) writes ./NuGet/NuGet.Config.
    $start.WorkingDirectory = $HomeDirectory
    $start.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
    foreach ($name in $Environment.Keys) { $start.Environment[$name] = [string]$Environment[$name] }
    $process = [Diagnostics.Process]::Start($start)
    $process.WaitForExit()
    if ($process.ExitCode -ne 0) { throw "The child pwsh failed with exit code $($process.ExitCode)." }
}

function Invoke-Package {
    <# Publishes the staged module to a throwaway folder repository and keeps the .nupkg that lands there. #>
    $null = Test-ModuleManifest -Path (Join-Path $moduleDir 'QemuNet.psd1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ('qemunet-package-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $repository = Join-Path $scratch 'repository'
    $null = New-Item -ItemType Directory -Path $repository, (Join-Path $scratch 'home')
    try {
        # PSGallery, which PSResourceGet registers by itself, goes first: nothing here may reach for it.
        Invoke-IsolatedPwsh -HomeDirectory (Join-Path $scratch 'home') -Environment @{ QEMUNET_MODULE_DIR = $moduleDir; QEMUNET_REPOSITORY = $repository } -Script @'
$ErrorActionPreference = 'Stop'
Unregister-PSResourceRepository -Name PSGallery
Register-PSResourceRepository -Name QemuNetPackage -Uri $env:QEMUNET_REPOSITORY -Trusted
Publish-PSResource -Path $env:QEMUNET_MODULE_DIR -Repository QemuNetPackage
'@
        $package = @(Get-ChildItem $repository -Filter '*.nupkg')
        if ($package.Count -ne 1) { throw "Publish-PSResource left $($package.Count) .nupkg files in $repository, not 1." }
        $target = Join-Path $output $package[0].Name
        Move-Item $package[0].FullName $target -Force
        Write-Host "Package: $target"
        return $target
    }
    finally {
        Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    }
}

# ---- help: PlatyPS-format markdown in en-US/ -> MAML and about_*.help.txt (PlatyPS itself is not obtainable here) ----

function Read-HelpMarkdown([string]$Path) {
    <# Splits a PlatyPS cmdlet page into its sections; fenced blocks stay whole. #>
    $text = (Get-Content -LiteralPath $Path -Raw) -replace "`r", ''
    $text = $text -replace '(?s)^---\n.*?\n---\n', ''
    $page = [ordered]@{ Sections = [ordered]@{}; Examples = [System.Collections.Generic.List[object]]::new(); Parameters = [ordered]@{}; Inputs = [ordered]@{}; Outputs = [ordered]@{} }
    $section = $null; $sub = $null; $buffer = [System.Collections.Generic.List[string]]::new()
    $flush = {
        if ($null -eq $section) { $buffer.Clear(); return }
        $body = ($buffer -join "`n").Trim()
        switch ($section) {
            'EXAMPLES' { if ($sub) { $page.Examples.Add([pscustomobject]@{ Title = $sub; Body = $body }) } }
            'PARAMETERS' { if ($sub -and $sub -ne 'CommonParameters') { $page.Parameters[$sub.TrimStart('-')] = $body } }
            'INPUTS' { if ($sub) { $page.Inputs[$sub] = $body } }
            'OUTPUTS' { if ($sub) { $page.Outputs[$sub] = $body } }
            default { if (-not $sub) { $page.Sections[$section] = $body } }
        }
        $buffer.Clear()
    }
    $inFence = $false
    foreach ($line in $text -split "`n") {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim(); $sub = $null; continue }
        if (-not $inFence -and $line -match '^### (.+)$' -and $section -in 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS') { & $flush; $sub = $Matches[1].Trim(); continue }
        $buffer.Add($line)
    }
    & $flush
    return $page
}

function Split-HelpParagraph([string]$Body) {
    <# Paragraphs separated by blank lines; a fenced block is one paragraph, its lines kept (yaml blocks dropped). #>
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new(); $fence = $null
    foreach ($line in ($Body -split "`n")) {
        if ($null -ne $fence) {
            if ($line -match '^```') { if ($fence -ne 'yaml') { $paragraphs.Add(($current | ForEach-Object { "    $_" }) -join "`n") }; $current.Clear(); $fence = $null }
            else { $current.Add($line) }
            continue
        }
        if ($line -match '^```(\w*)') {
            if ($current.Count) { $paragraphs.Add($current -join ' '); $current.Clear() }
            $fence = $Matches[1]; continue
        }
        if ($line.Trim() -eq '') { if ($current.Count) { $paragraphs.Add($current -join ' '); $current.Clear() }; continue }
        $current.Add($line.Trim())
    }
    if ($current.Count) { $paragraphs.Add($current -join ' ') }
    return $paragraphs
}

function Test-HelpPage($Command, $Page, [string]$Path) {
    <# The build fails on a page that is out of step with the cmdlet: help must never lie or be missing. #>
    $problems = @()
    if ((Get-Content -LiteralPath $Path -Raw) -match '\{\{') { $problems += 'has unfilled {{ }} placeholders' }
    $skip = [System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'
    $actual = @($Command.Parameters.Keys | Where-Object { $_ -notin $skip })
    foreach ($p in $actual | Where-Object { -not $Page.Parameters.Contains($_) }) { $problems += "does not describe -$p" }
    foreach ($p in $Page.Parameters.Keys | Where-Object { $_ -notin $actual }) { $problems += "describes -$p, which the cmdlet does not have" }
    foreach ($p in $Page.Parameters.Keys | Where-Object { -not ((Split-HelpParagraph $Page.Parameters[$_]) -join '').Trim() }) { $problems += "has no text for -$p" }
    if ($Page.Examples.Count -lt 2) { $problems += "has $($Page.Examples.Count) example(s); at least 2 are needed" }
    foreach ($s in 'SYNOPSIS', 'DESCRIPTION') { if (-not $Page.Sections[$s]) { $problems += "has no $s" } }
    if ($problems) { throw "Help page $Path $($problems -join '; ')." }
}

function Write-MamlParagraphs([System.Xml.XmlWriter]$Writer, [string]$Body) {
    $Writer.WriteStartElement('maml', 'description', 'http://schemas.microsoft.com/maml/2004/10')
    foreach ($p in Split-HelpParagraph $Body) { $Writer.WriteElementString('maml', 'para', 'http://schemas.microsoft.com/maml/2004/10', $p) }
    $Writer.WriteEndElement()
}

function Write-MamlParameter([System.Xml.XmlWriter]$Writer, $Parameter, $SetData, [string]$Description) {
    $default = if ($Description -match '(?m)^Default value: *(.+)$') { $Matches[1].Trim() } else { 'None' }
    $maml = 'http://schemas.microsoft.com/maml/2004/10'; $cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $pipe = @(); if ($SetData.ValueFromPipeline) { $pipe += 'ByValue' }; if ($SetData.ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
    $Writer.WriteStartElement('command', 'parameter', $cmd)
    $Writer.WriteAttributeString('required', $SetData.IsMandatory.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', ([bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })).ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $(if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }))
    $Writer.WriteAttributeString('position', $(if ($SetData.Position -ge 0) { [string]$SetData.Position } else { 'named' }))
    $Writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $maml, $Parameter.Name)
    Write-MamlParagraphs $Writer $Description
    $typeName = $Parameter.ParameterType.Name
    if ($Parameter.ParameterType -ne [switch]) {
        $Writer.WriteStartElement('command', 'parameterValue', $cmd)
        $Writer.WriteAttributeString('required', 'true'); $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($typeName); $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $dev); $Writer.WriteElementString('maml', 'name', $maml, $typeName); $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $dev, $default)
    $Writer.WriteEndElement()
}

function Build-Help {
    <# en-US/<Cmdlet>.md -> <module>/en-US/QemuNet.dll-Help.xml; en-US/about_*.md -> about_*.help.txt. #>
    $sourceDir = Join-Path $root 'en-US'
    $targetDir = Join-Path $moduleDir 'en-US'
    $module = Import-Module (Join-Path $moduleDir 'QemuNet.psd1') -PassThru -Force
    try {
        $maml = 'http://schemas.microsoft.com/maml/2004/10'; $cmdNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
        $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
        $writer = [System.Xml.XmlWriter]::Create((Join-Path $targetDir 'QemuNet.dll-Help.xml'), $settings)
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', 'http://msh'); $writer.WriteAttributeString('schema', 'maml')
        $skip = [System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'
        foreach ($command in $module.ExportedCmdlets.Values | Sort-Object Name) {
            $path = Join-Path $sourceDir "$($command.Name).md"
            if (-not (Test-Path $path)) { throw "Help page $path is missing for $($command.Name)." }
            $page = Read-HelpMarkdown $path
            Test-HelpPage $command $page $path
            $writer.WriteStartElement('command', 'command', $cmdNs)
            $writer.WriteAttributeString('xmlns', 'maml', $null, $maml); $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
            $writer.WriteStartElement('command', 'details', $cmdNs)
            $writer.WriteElementString('command', 'name', $cmdNs, $command.Name)
            $writer.WriteElementString('command', 'verb', $cmdNs, $command.Verb)
            $writer.WriteElementString('command', 'noun', $cmdNs, $command.Noun)
            Write-MamlParagraphs $writer $page.Sections['SYNOPSIS']
            $writer.WriteEndElement()
            Write-MamlParagraphs $writer $page.Sections['DESCRIPTION']

            $writer.WriteStartElement('command', 'syntax', $cmdNs)
            foreach ($set in $command.ParameterSets) {
                $writer.WriteStartElement('command', 'syntaxItem', $cmdNs)
                $writer.WriteElementString('maml', 'name', $maml, $command.Name)
                foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $skip } | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } }, { -not $_.IsMandatory }) {
                    Write-MamlParameter $writer $command.Parameters[$p.Name] $p $page.Parameters[$p.Name]
                }
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'parameters', $cmdNs)
            foreach ($name in $command.Parameters.Keys | Where-Object { $_ -notin $skip } | Sort-Object) {
                $parameter = $command.Parameters[$name]
                Write-MamlParameter $writer $parameter ($parameter.ParameterSets.Values | Select-Object -First 1) $page.Parameters[$name]
            }
            $writer.WriteEndElement()

            foreach ($kind in @(@('inputTypes', 'inputType', $page.Inputs), @('returnValues', 'returnValue', $page.Outputs))) {
                $writer.WriteStartElement('command', $kind[0], $cmdNs)
                foreach ($type in $kind[2].Keys) {
                    $writer.WriteStartElement('command', $kind[1], $cmdNs)
                    $writer.WriteStartElement('dev', 'type', $dev); $writer.WriteElementString('maml', 'name', $maml, $type); $writer.WriteEndElement()
                    Write-MamlParagraphs $writer $kind[2][$type]
                    $writer.WriteEndElement()
                }
                $writer.WriteEndElement()
            }

            if ($page.Sections['NOTES']) {
                $writer.WriteStartElement('maml', 'alertSet', $maml); $writer.WriteStartElement('maml', 'alert', $maml)
                foreach ($p in Split-HelpParagraph $page.Sections['NOTES']) { $writer.WriteElementString('maml', 'para', $maml, $p) }
                $writer.WriteEndElement(); $writer.WriteEndElement()
            }

            $writer.WriteStartElement('command', 'examples', $cmdNs)
            foreach ($example in $page.Examples) {
                $code = if ($example.Body -match '(?s)```powershell\n(.*?)\n```') { $Matches[1] } else { throw "Example '$($example.Title)' in $path has no powershell code block." }
                $remarks = ($example.Body -replace '(?s)^.*?```powershell\n.*?\n```', '').Trim()
                $writer.WriteStartElement('command', 'example', $cmdNs)
                $writer.WriteElementString('maml', 'title', $maml, "--------- $($example.Title) ---------")
                $writer.WriteElementString('dev', 'code', $dev, $code)
                $writer.WriteStartElement('dev', 'remarks', $dev)
                foreach ($p in Split-HelpParagraph $remarks) { $writer.WriteElementString('maml', 'para', $maml, $p) }
                $writer.WriteEndElement(); $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'relatedLinks', $cmdNs)
            foreach ($m in [regex]::Matches([string]$page.Sections['RELATED LINKS'], '\[([^\]]+)\]\(([^)]*)\)')) {
                $writer.WriteStartElement('maml', 'navigationLink', $maml)
                $writer.WriteElementString('maml', 'linkText', $maml, $m.Groups[1].Value)
                $writer.WriteElementString('maml', 'uri', $maml, $(if ($m.Groups[2].Value -match '^https?:') { $m.Groups[2].Value } else { '' }))
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement(); $writer.WriteEndDocument(); $writer.Dispose()
    }
    finally {
        Remove-Module $module -Force -ErrorAction Ignore
    }

    foreach ($about in Get-ChildItem $sourceDir -Filter 'about_*.md') {
        ConvertTo-AboutText $about.FullName | Set-Content -LiteralPath (Join-Path $targetDir ($about.BaseName + '.help.txt'))
    }
}

function ConvertTo-AboutText([string]$Path) {
    <# about_X.md -> the classic about_X.help.txt layout: upper-case headings, text indented and wrapped at 80. #>
    $lines = [System.Collections.Generic.List[string]]::new()
    $page = Get-Content -LiteralPath $Path -Raw
    $name = [IO.Path]::GetFileNameWithoutExtension($Path)
    $lines.Add('TOPIC'); $lines.Add("    $name"); $lines.Add('')
    foreach ($block in [regex]::Split(($page -replace "`r", ''), '(?m)^(?=##+ )')) {
        if ($block -notmatch '^(##+) (.+)\n?((?s).*)$') { continue }
        $lines.Add($(if ($Matches[1] -eq '##') { $Matches[2].ToUpperInvariant() } else { '  ' + $Matches[2].ToUpperInvariant() }))
        foreach ($para in Split-HelpParagraph $Matches[3].Trim()) {
            if ($para.StartsWith('    ')) { $para -split "`n" | ForEach-Object { $lines.Add("    $_") } }
            else {
                $line = '   '
                foreach ($word in $para -split ' ') {
                    if (($line.Length + $word.Length + 1) -gt 79) { $lines.Add($line); $line = '   ' }
                    $line += " $word"
                }
                $lines.Add($line)
            }
            $lines.Add('')
        }
    }
    return $lines
}

function Install-SystemPackages {
    $missing = @($systemPackages.Keys | Where-Object { -not (& $systemPackages[$_]) })
    if (-not $missing) { return }
    $isRoot = (& id -u) -eq '0'
    if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction Ignore)) {
        Write-Warning "Missing system packages: $($missing -join ', '). Not root (or no apt-get), so they are not installed; tests that need them skip themselves."
        return
    }
    Write-Host "Installing system packages: $($missing -join ', ')" -ForegroundColor Cyan
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('update', '-qq')
    Invoke-Native apt-get @(@('install', '-y', '-qq', '--no-install-recommends') + $missing)
}

function Build-TestGuest {
    try {
        $guest = & (Join-Path $root 'tests/guest/New-TestGuest.ps1') -OutputPath $guestDir
        Write-Host "Test guest: kernel $($guest.KernelVersion), initrd $([math]::Round((Get-Item $guest.Initrd).Length / 1MB, 1)) MiB"
    }
    catch {
        Write-Warning "The test guest could not be built, so guest tests skip themselves: $_"
    }
}

function Get-PesterModulePath {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $path = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $path)) {
        # Pester arrives as a PackageDownload of the test project.
        Invoke-Native dotnet @('restore', (Join-Path $root 'tests/QemuNet.Core.Tests/QemuNet.Core.Tests.csproj'), '-v', 'q')
    }
    return $path
}

function Invoke-CoreTests {
    $results = Join-Path $output 'test-results'
    $trx = Join-Path $results 'core.trx'
    Remove-Item $trx -ErrorAction Ignore
    Write-Host 'xunit: QemuNet.Core' -ForegroundColor Cyan
    & dotnet test (Join-Path $root 'tests/QemuNet.Core.Tests/QemuNet.Core.Tests.csproj') -c $Configuration -nologo `
        --logger 'trx;LogFileName=core.trx' --logger 'console;verbosity=minimal' --results-directory $results | Out-Host
    if (-not (Test-Path $trx)) {
        Write-Warning 'xunit produced no results file; counting it as one failure.'
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
    return [pscustomobject]@{
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.notExecuted
    }
}

function Invoke-ModuleTests {
    Import-Module (Get-PesterModulePath) -RequiredVersion 5.7.1 -Force
    $config = New-PesterConfiguration
    $config.Run.Path = if ($TestPath) { $TestPath | ForEach-Object { if (Test-Path $_) { $_ } else { Join-Path $root "tests/$_" } } } else { Join-Path $root 'tests' }
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = Join-Path $output 'test-results/pester.xml'
    $env:QEMUNET_TEST_MODULE = Join-Path $moduleDir 'QemuNet.psd1'
    $env:QEMUNET_TEST_GUEST = $guestDir
    $result = Invoke-Pester -Configuration $config
    return [pscustomobject]@{
        Passed  = $result.PassedCount
        Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
        Skipped = $result.SkippedCount + $result.NotRunCount
    }
}

switch ($Task) {
    'Clean' {
        Remove-Item $output -Recurse -Force -ErrorAction Ignore
        Get-ChildItem $root -Recurse -Directory -Include bin, obj | Remove-Item -Recurse -Force
    }
    'Build' { Invoke-Build }
    'Package' {
        Invoke-Build
        $null = Invoke-Package
    }
    'Test' {
        Invoke-Build
        # tests/Package.Tests.ps1 installs this package.
        $env:QEMUNET_TEST_PACKAGE = Invoke-Package
        Install-SystemPackages
        Build-TestGuest
        $core = Invoke-CoreTests
        $module = Invoke-ModuleTests
        $passed = $core.Passed + $module.Passed
        $failed = $core.Failed + $module.Failed
        $skipped = $core.Skipped + $module.Skipped
        Write-Host "xunit: $($core.Passed) passed, $($core.Failed) failed, $($core.Skipped) skipped"
        Write-Host "Pester: $($module.Passed) passed, $($module.Failed) failed, $($module.Skipped) skipped"
        Write-Host "Tests: $passed passed, $failed failed, $skipped skipped"
        if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
    }
    'Stress' {
        Invoke-Build
        Install-SystemPackages
        Build-TestGuest
        $env:QEMUNET_STRESS = '1'
        if (-not $TestPath) { $TestPath = 'Engine.Tests.ps1', 'Vm.Tests.ps1', 'Uplink.Tests.ps1' }
        $module = Invoke-ModuleTests
        Write-Host "Stress: $($module.Passed) passed, $($module.Failed) failed, $($module.Skipped) skipped"
        if ($module.Failed -gt 0 -or $module.Passed -eq 0) { exit 1 }
    }
    'Demo' {
        Invoke-Build
        Install-SystemPackages
        Build-TestGuest
        & (Join-Path $root 'tests/demo.ps1') -ModulePath (Join-Path $moduleDir 'QemuNet.psd1') -GuestPath $guestDir
        if (-not $?) { exit 1 }
    }
}
