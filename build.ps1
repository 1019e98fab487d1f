#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and demonstrates the QemuNet module.
.DESCRIPTION
    Build: compiles src/ and stages the module into output/QemuNet/<version>/.
    Package: Build, then the module's .nupkg (what Publish-PSResource pushes to a repository) in output/.
    Test:  Build, Package, installs missing system packages (as root, with apt), builds the test guest, runs the xunit
           tests of QemuNet.Core and of the help builder and the Pester tests of the module, and ends with
           "Tests: N passed, N failed".
    Pester: only the Pester tests, against the module already staged in output/ (no build); as root, Test runs
           them this way a second time as a throwaway unprivileged user, so both kinds of user are tested.
    Stress: Build, then the stress suites in full, as root: every plan kind (NAT, forwards, reservations, bridge,
           ACL, VM start and stop, the uplink move) killed at every host action at three timings and failed at every
           action, 100 cycles of NAT and bridge set-ups, 8 processes at once for 10 rounds, coexistence with
           Docker-, libvirt- and dnsmasq-like neighbours, the drift matrix over every nft rule, and the bad-input
           corpus. Prints a table of runs and failures per case and writes it to bench/RESULTS.md. The Test task
           runs a quick subset of the same suites.
    Demo:  Build, then boots a tiny guest through the module's pipeline with user-mode networking and fetches
           a page from it through a host port forward.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Pester', 'Stress', 'Bench', 'Demo', 'Clean')]
    [string]$Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    # Pester tests to run (paths or names under tests/); all when empty.
    [string[]]$TestPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'bench/Results.ps1')

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
    'iproute2'          = { Test-Program ip }
    'dnsmasq-base'      = { Test-Program dnsmasq }
    'nftables'          = { Test-Program nft }
    # Real clients for the NAT tests: ISC dhclient and dig against the network's dnsmasq.
    'isc-dhcp-client'   = { Test-DebianPackage 'isc-dhcp-client' }
    'bind9-dnsutils'    = { Test-DebianPackage 'bind9-dnsutils' }
    # Watches the host side of a guest's TAP: the live-operations tests see a guest's announcements with it.
    'tcpdump'           = { Test-Program tcpdump }
}

function Test-Program([string]$Name) {
    <# On PATH, or in sbin, which a normal user's PATH lacks (Debian): root's tools are installed, just not on it. #>
    [bool](Get-Command $Name -CommandType Application -ErrorAction Ignore) -or
    [bool](@('/usr/local/sbin', '/usr/sbin', '/sbin') | Where-Object { Test-Path (Join-Path $_ $Name) -PathType Leaf })
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
    foreach ($file in 'QemuNet.dll', 'QemuNet.Core.dll', 'CliWrap.dll', 'QemuNet.Format.ps1xml') {
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

function Build-Help {
    <# en-US/<Cmdlet>.md -> <module>/en-US/QemuNet.dll-Help.xml and en-US/about_*.md -> about_*.help.txt, by the build tool
       src/QemuNet.HelpBuilder (not shipped). It reads the cmdlets from the staged module and fails on a page out of step. #>
    $project = Join-Path $root 'src/QemuNet.HelpBuilder/QemuNet.HelpBuilder.csproj'
    Invoke-Native dotnet @('build', $project, '-c', $Configuration, '-nologo', '-v', 'q', '-clp:ErrorsOnly')
    $tool = Join-Path $root "src/QemuNet.HelpBuilder/bin/$Configuration/net10.0/QemuNet.HelpBuilder.dll"
    & dotnet $tool (Join-Path $moduleDir 'QemuNet.psd1') (Join-Path $root 'en-US') (Join-Path $moduleDir 'en-US')
    if ($LASTEXITCODE -ne 0) { throw "The help pages in en-US/ have the problems listed above (help builder exit code $LASTEXITCODE)." }
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

function Invoke-XunitTests([string]$Project) {
    <# Runs one xunit project of tests/ and counts its results from the trx file. #>
    $results = Join-Path $output 'test-results'
    $trx = Join-Path $results "$Project.trx"
    Remove-Item $trx -ErrorAction Ignore
    Write-Host "xunit: $Project" -ForegroundColor Cyan
    & dotnet test (Join-Path $root "tests/$Project/$Project.csproj") -c $Configuration -nologo `
        --logger "trx;LogFileName=$Project.trx" --logger 'console;verbosity=minimal' --results-directory $results | Out-Host
    if (-not (Test-Path $trx)) {
        Write-Warning "xunit produced no results file for $Project; counting it as one failure."
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
    $config.Run.Path = if ($TestPath) { $TestPath -split ',' | ForEach-Object { if (Test-Path $_) { $_ } else { Join-Path $root "tests/$_" } } } else { Join-Path $root 'tests' }
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

function New-UnprivilegedUser {
    <#
    Root only: a throwaway system user and, in a folder it can read, what it needs to run the Pester suites as
    the users do: pwsh, Pester, build.ps1, the tests, the staged module and the test guest. Root's own copies
    stay out of reach (/root is 0700).
    #>
    $name = 'qemunet-t{0:x6}' -f (Get-Random -Maximum 0xffffff)
    $folder = Join-Path ([IO.Path]::GetTempPath()) $name
    $repo = Join-Path $folder 'repo'
    $null = New-Item -ItemType Directory -Path $folder, (Join-Path $folder 'home'), (Join-Path $repo 'output/test-results')
    Invoke-Native chmod @('0755', $folder)
    Invoke-Native useradd @('--system', '--user-group', '--no-create-home', '--home-dir', (Join-Path $folder 'home'), '--shell', '/usr/sbin/nologin', $name)
    Copy-Item $PSHOME (Join-Path $folder 'pwsh') -Recurse
    $pester = Join-Path $folder 'nuget/pester/5.7.1'
    $null = New-Item -ItemType Directory -Path (Split-Path $pester)
    Copy-Item (Split-Path (Split-Path (Get-PesterModulePath))) $pester -Recurse
    # The sources as a clone has them (the suites read the help pages, the changelog…), and what Test built.
    foreach ($file in & git -C $root ls-files) {
        $target = Join-Path $repo $file
        $null = New-Item -ItemType Directory -Path (Split-Path $target) -Force
        Copy-Item -LiteralPath (Join-Path $root $file) $target
    }
    Copy-Item (Join-Path $output 'QemuNet') (Join-Path $repo 'output') -Recurse
    Get-ChildItem $output -Filter '*.nupkg' | Copy-Item -Destination (Join-Path $repo 'output')
    if (Test-Path $guestDir) { Copy-Item $guestDir (Join-Path $repo 'output') -Recurse }
    Invoke-Native chown @('-R', "$($name):$($name)", (Join-Path $folder 'home'), (Join-Path $repo 'output/test-results'))
    return [pscustomobject]@{ Name = $name; Folder = $folder; Pwsh = Join-Path $folder 'pwsh/pwsh.dll'; Repo = $repo }
}

function Remove-UnprivilegedUser($User) {
    & pkill -KILL -u $User.Name 2>$null
    & userdel $User.Name 2>$null
    Remove-Item $User.Folder -Recurse -Force -ErrorAction Ignore
}

function Invoke-UnprivilegedModuleTests($User) {
    <# The Pester suites again, as that user with a normal user's PATH (no sbin): root-only tests skip themselves. #>
    Write-Host "Pester as the unprivileged user $($User.Name)" -ForegroundColor Cyan
    $environment = @("HOME=$($User.Folder)/home", 'PATH=/usr/local/bin:/usr/bin:/bin', "NUGET_PACKAGES=$($User.Folder)/nuget",
        'DOTNET_CLI_TELEMETRY_OPTOUT=1', 'DOTNET_NOLOGO=1', "TERM=$env:TERM", 'LANG=C.UTF-8')
    $lines = [System.Collections.Generic.List[string]]::new()
    & setpriv "--reuid=$($User.Name)" "--regid=$($User.Name)" --init-groups -- env -i @environment (Get-Command dotnet).Source $User.Pwsh `
        -NoProfile -File (Join-Path $User.Repo 'build.ps1') -Task Pester @(if ($TestPath) { '-TestPath'; ($TestPath | Split-Path -Leaf) -join ',' }) 2>&1 |
        ForEach-Object { $lines.Add("$_"); Write-Host $_ }
    $summary = $lines | Where-Object { $_ -match '^Pester: (\d+) passed, (\d+) failed, (\d+) skipped' } | Select-Object -Last 1
    if (-not $summary -or $summary -notmatch '^Pester: (\d+) passed, (\d+) failed, (\d+) skipped') {
        Write-Warning "The unprivileged Pester run gave no summary (exit code $LASTEXITCODE); counting it as one failure."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    return [pscustomobject]@{ Passed = [int]$Matches[1]; Failed = [int]$Matches[2]; Skipped = [int]$Matches[3] }
}

function Get-StressReport([string]$Path) {
    <# The stress suites' JSON lines (tests/common.ps1 Write-StressResult), one object per case. #>
    if (-not (Test-Path $Path)) { return @() }
    @(Get-Content $Path | Where-Object { $_ } | ConvertFrom-Json)
}

function Format-StressTable($Records) {
    <# Runs and failures per case as a Markdown table that fits 80 columns (the long cases' names are cut). #>
    $lines = @('| Area | Case | Runs | Failures |', '|---|---|---:|---:|')
    foreach ($r in $Records) {
        $case = if ($r.Case.Length -gt 48) { $r.Case.Substring(0, 47) + '…' } else { $r.Case }
        $lines += "| $($r.Area) | $case | $($r.Runs) | $($r.Failures) |"
    }
    $lines += "| **all** | $(@($Records).Count) cases | $(($Records | Measure-Object Runs -Sum).Sum) | $(($Records | Measure-Object Failures -Sum).Sum) |"
    $lines -join "`n"
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
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Invoke-Build
        # tests/Package.Tests.ps1 installs this package.
        $env:QEMUNET_TEST_PACKAGE = Invoke-Package
        Install-SystemPackages
        Build-TestGuest
        $xunitRuns = @('QemuNet.Core.Tests', 'QemuNet.HelpBuilder.Tests' | ForEach-Object { Invoke-XunitTests $_ })
        $xunit = [pscustomobject]@{
            Passed  = ($xunitRuns | Measure-Object Passed -Sum).Sum
            Failed  = ($xunitRuns | Measure-Object Failed -Sum).Sum
            Skipped = ($xunitRuns | Measure-Object Skipped -Sum).Sum
        }
        # As root, the suites also run as a user made for the purpose: CI proves the non-root promise too, and the
        # root suites can hand that user a guest to start (the bridge helper).
        $user = if ((& id -u) -eq '0') { New-UnprivilegedUser }
        try {
            if ($user) {
                $env:QEMUNET_TEST_USER = $user.Name; $env:QEMUNET_TEST_USER_FOLDER = $user.Folder
            }
            # The quick subset of the stress cases reports its figures the way the Stress task does.
            $env:QEMUNET_STRESS_REPORT = Join-Path $output 'test-results/stress-quick.jsonl'
            Remove-Item $env:QEMUNET_STRESS_REPORT -ErrorAction Ignore
            $module = Invoke-ModuleTests
            $stress = Get-StressReport $env:QEMUNET_STRESS_REPORT
            Remove-Item Env:QEMUNET_STRESS_REPORT
            $unprivileged = if ($user) { Invoke-UnprivilegedModuleTests $user }
        }
        finally {
            if ($user) { Remove-UnprivilegedUser $user }
        }
        $runs = @($xunit, $module) + @($unprivileged | Where-Object { $_ })
        $passed = ($runs | Measure-Object Passed -Sum).Sum
        $failed = ($runs | Measure-Object Failed -Sum).Sum
        $skipped = ($runs | Measure-Object Skipped -Sum).Sum
        Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped"
        Write-Host "Pester: $($module.Passed) passed, $($module.Failed) failed, $($module.Skipped) skipped"
        if ($unprivileged) {
            Write-Host "Pester as $($user.Name): $($unprivileged.Passed) passed, $($unprivileged.Failed) failed, $($unprivileged.Skipped) skipped"
        }
        if ($stress) { Write-Host "Stress cases (quick subset):`n$(Format-StressTable $stress)" }
        Write-Host "Tests: $passed passed, $failed failed, $skipped skipped"
        Write-Host ('Test task: {0:mm\:ss} (min:s)' -f $watch.Elapsed)
        if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
    }
    'Pester' {
        # The module as staged in output/, no build: how the Test task runs the suites as its unprivileged user.
        $module = Invoke-ModuleTests
        Write-Host "Pester: $($module.Passed) passed, $($module.Failed) failed, $($module.Skipped) skipped"
        if ($module.Failed -gt 0 -or $module.Passed -eq 0) { exit 1 }
    }
    'Stress' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        if ((& id -u) -ne '0') { Write-Error 'The Stress task needs root: its cases run in network namespaces it makes.'; exit 1 }
        Invoke-Build
        Install-SystemPackages
        Build-TestGuest
        $env:QEMUNET_STRESS = '1'
        $report = Join-Path $output 'test-results/stress.jsonl'
        $null = New-Item -ItemType Directory -Force -Path (Split-Path $report)
        Remove-Item $report -ErrorAction Ignore
        $env:QEMUNET_STRESS_REPORT = $report
        $command = './build.ps1 -Task Stress' + $(if ($TestPath) { " -TestPath $($TestPath -join ',')" })
        if (-not $TestPath) {
            $TestPath = 'Engine.Tests.ps1', 'Vm.Tests.ps1', 'Uplink.Tests.ps1', 'Cycles.Tests.ps1', 'Concurrency.Tests.ps1',
                'Coexistence.Tests.ps1', 'Drift.Tests.ps1', 'BadInput.Tests.ps1'
        }
        $module = Invoke-ModuleTests
        $records = Get-StressReport $report
        $table = Format-StressTable $records
        Write-Host "`n$table`n"
        Write-Host "Stress: $($module.Passed) passed, $($module.Failed) failed, $($module.Skipped) skipped"
        Write-Host ('Stress task: {0:hh\:mm\:ss}' -f $watch.Elapsed)
        Set-ResultsSection -Path (Join-Path $root 'bench/RESULTS.md') -Name stress -Lines @(
            '## Stress', ''
            Get-ResultsHeader -Root $root -Command "dotnet pwsh $command"
            ('- Took {0:hh\:mm\:ss} (h:min:s); Pester: {1} passed, {2} failed, {3} skipped. Every case ran in network namespaces made for it.' -f $watch.Elapsed, $module.Passed, $module.Failed, $module.Skipped)
            '', $table
        )
        Write-Host "Wrote the stress figures to $(Join-Path $root 'bench/RESULTS.md')"
        $caseFailures = ($records | Measure-Object Failures -Sum).Sum
        if ($module.Failed -gt 0 -or $module.Passed -eq 0 -or $caseFailures -gt 0 -or @($records).Count -eq 0) { exit 1 }
    }
    'Bench' {
        Invoke-Build
        Install-SystemPackages
        Build-TestGuest
        # Prints the summary table and writes bench/RESULTS.md's bench section; throws when a bench failed.
        & (Join-Path $root 'bench/Invoke-Bench.ps1') -ModulePath (Join-Path $moduleDir 'QemuNet.psd1') -GuestPath $guestDir
    }
    'Demo' {
        Invoke-Build
        Install-SystemPackages
        Build-TestGuest
        & (Join-Path $root 'tests/demo.ps1') -ModulePath (Join-Path $moduleDir 'QemuNet.psd1') -GuestPath $guestDir
        if (-not $?) { exit 1 }
    }
}
