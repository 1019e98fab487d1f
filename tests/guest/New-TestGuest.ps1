#requires -Version 7.0
<#
.SYNOPSIS
    Builds a tiny Linux guest (kernel + busybox initramfs) for QemuNet end-to-end network tests.

.DESCRIPTION
    Produces <OutputPath>/vmlinuz (a copy of the newest /boot/vmlinuz-*) and <OutputPath>/initrd.img
    (gzip-compressed newc cpio) containing a static busybox, the NIC driver modules of that kernel
    and the ACPI power button driver (with their dependencies, loaded in dependency order from /modules.order) and the /init script
    that sits next to this file.

    The guest reports on its serial console (boot with e.g. 'console=ttyS0 quiet panic=-1'); see the
    header of ./init for the marker lines and the qn_* kernel command-line parameters.

    The build is skipped when both outputs exist, are newer than ./init and this script, and the
    kernel copy still matches the newest installed kernel, unless -Force is given.

    Host requirements (Debian packages): busybox-static, linux-image-amd64, cpio.

.OUTPUTS
    [pscustomobject] with Kernel, Initrd (full paths) and KernelVersion.

.EXAMPLE
    $guest = ./tests/guest/New-TestGuest.ps1 -OutputPath /tmp/qg
    qemu-system-x86_64 -kernel $guest.Kernel -initrd $guest.Initrd -append 'console=ttyS0 quiet panic=-1 qn_hold=5' ...
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$OutputPath,
    [switch]$Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Drivers to ship (NICs, power button); their dependencies are resolved from modules.dep.
$NicModules = @(
    'virtio_pci', 'virtio_net',
    'e1000', 'e1000e',
    '8139cp', '8139too',
    'ne2k-pci', 'pcnet32', 'e100', 'tulip', 'vmxnet3', 'mii',
    # The ACPI power button and its input events: Stop-QemuVm's system_powerdown reaches /init through them.
    'button', 'evdev'
)

$BusyboxPath = '/bin/busybox'
$InitSource = Join-Path $PSScriptRoot 'init'

function Get-ModuleName([string]$Path) {
    # kernel/drivers/net/ethernet/8390/ne2k-pci.ko[.xz] -> ne2k_pci
    $leaf = [IO.Path]::GetFileName($Path)
    $leaf = $leaf -replace '\.ko(\.(xz|zst|gz))?$', ''
    return $leaf.Replace('-', '_')
}

function Test-StaticElf([string]$Path) {
    # True when the ELF file has no PT_INTERP program header (i.e. needs no dynamic loader).
    $fs = [IO.File]::OpenRead($Path)
    try {
        $br = [IO.BinaryReader]::new($fs)
        $hdr = $br.ReadBytes(64)
        if ($hdr.Length -lt 52 -or $hdr[0] -ne 0x7F -or $hdr[1] -ne 0x45 -or $hdr[2] -ne 0x4C -or $hdr[3] -ne 0x46) {
            return $false
        }
        if ($hdr[4] -eq 2) {
            $phoff = [BitConverter]::ToUInt64($hdr, 32)
            $phentsize = [BitConverter]::ToUInt16($hdr, 54)
            $phnum = [BitConverter]::ToUInt16($hdr, 56)
        }
        else {
            $phoff = [BitConverter]::ToUInt32($hdr, 28)
            $phentsize = [BitConverter]::ToUInt16($hdr, 42)
            $phnum = [BitConverter]::ToUInt16($hdr, 44)
        }
        for ($i = 0; $i -lt $phnum; $i++) {
            $fs.Position = [long]$phoff + [long]$i * $phentsize
            if ($br.ReadUInt32() -eq 3) { return $false }   # PT_INTERP
        }
        return $true
    }
    finally {
        $fs.Dispose()
    }
}

function Set-Mode([string]$Path, [string]$Octal) {
    [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode][Convert]::ToInt32($Octal, 8))
}

# ---------------------------------------------------------------- inputs

$OutputPath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)

# Newest kernel: highest version (numeric-aware), then newest file.
$kernelFile = Get-ChildItem -LiteralPath '/boot' -Filter 'vmlinuz-*' -File -ErrorAction SilentlyContinue |
    Sort-Object -Descending -Property @(
        @{ Expression = { [regex]::Replace($_.Name, '\d+', { param($m) $m.Value.PadLeft(10, '0') }) } },
        @{ Expression = { $_.LastWriteTimeUtc } }
    ) |
    Select-Object -First 1
if (-not $kernelFile) {
    throw "No kernel image found (/boot/vmlinuz-*). Install the Debian package 'linux-image-amd64'."
}
$kernelVersion = $kernelFile.Name.Substring('vmlinuz-'.Length)
$moduleRoot = "/lib/modules/$kernelVersion"
$modulesDep = "$moduleRoot/modules.dep"
if (-not (Test-Path -LiteralPath $modulesDep -PathType Leaf)) {
    throw "Kernel modules for $kernelVersion not found ($modulesDep is missing). Install the Debian package 'linux-image-amd64' (or the matching linux-image-$kernelVersion)."
}

if (-not (Test-Path -LiteralPath $BusyboxPath -PathType Leaf)) {
    throw "$BusyboxPath not found. Install the Debian package 'busybox-static'."
}
if (-not (Test-StaticElf $BusyboxPath)) {
    throw "$BusyboxPath is dynamically linked and cannot run in the initramfs. Install the Debian package 'busybox-static' (it replaces 'busybox')."
}

$cpio = Get-Command -Name 'cpio' -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $cpio) {
    throw "The 'cpio' program was not found. Install the Debian package 'cpio'."
}

if (-not (Test-Path -LiteralPath $InitSource -PathType Leaf)) {
    throw "Guest init script not found: $InitSource"
}

$kernelOut = Join-Path $OutputPath 'vmlinuz'
$initrdOut = Join-Path $OutputPath 'initrd.img'
$result = [pscustomobject]@{
    Kernel        = $kernelOut
    Initrd        = $initrdOut
    KernelVersion = $kernelVersion
}

# ---------------------------------------------------------------- up to date?

if (-not $Force -and (Test-Path -LiteralPath $kernelOut -PathType Leaf) -and (Test-Path -LiteralPath $initrdOut -PathType Leaf)) {
    $inputsTime = @(
        (Get-Item -LiteralPath $InitSource).LastWriteTimeUtc,
        (Get-Item -LiteralPath $PSCommandPath).LastWriteTimeUtc
    ) | Sort-Object -Descending | Select-Object -First 1
    $k = Get-Item -LiteralPath $kernelOut
    $i = Get-Item -LiteralPath $initrdOut
    if ($k.LastWriteTimeUtc -gt $inputsTime -and $i.LastWriteTimeUtc -gt $inputsTime -and $k.Length -eq $kernelFile.Length) {
        Write-Verbose "Test guest in $OutputPath is up to date (kernel $kernelVersion)."
        return $result
    }
}

# ---------------------------------------------------------------- modules

$modules = @{}   # name -> @{ Path = relative path; Deps = relative paths }
foreach ($line in [IO.File]::ReadLines($modulesDep)) {
    $colon = $line.IndexOf(':')
    if ($colon -lt 0) { continue }
    $path = $line.Substring(0, $colon).Trim()
    $deps = @($line.Substring($colon + 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries))
    $modules[(Get-ModuleName $path)] = @{ Path = $path; Deps = $deps }
}
$builtin = @()
if (Test-Path -LiteralPath "$moduleRoot/modules.builtin" -PathType Leaf) {
    $builtin = @([IO.File]::ReadAllLines("$moduleRoot/modules.builtin") | ForEach-Object { Get-ModuleName $_ })
}

$loadOrder = [Collections.Generic.List[string]]::new()
$visited = [Collections.Generic.HashSet[string]]::new()
function Add-ModuleWithDeps([string]$Name) {
    if (-not $visited.Add($Name)) { return }
    foreach ($dep in $modules[$Name].Deps) {
        $depName = Get-ModuleName $dep
        if ($modules.ContainsKey($depName)) { Add-ModuleWithDeps $depName }
    }
    $loadOrder.Add($modules[$Name].Path)
}
foreach ($wanted in $NicModules) {
    $name = Get-ModuleName $wanted
    if ($modules.ContainsKey($name)) {
        Add-ModuleWithDeps $name
    }
    elseif ($builtin -notcontains $name) {
        Write-Warning "NIC driver module '$wanted' is neither a module nor built into kernel $kernelVersion; the guest will not support that NIC."
    }
}

# ---------------------------------------------------------------- stage and pack

$null = [IO.Directory]::CreateDirectory($OutputPath)
$stage = Join-Path ([IO.Path]::GetTempPath()) "qemunet-guest-$([guid]::NewGuid().ToString('N'))"
$tmpSuffix = ".tmp-$PID-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
$cpioTmp = "$stage.cpio"
$initrdTmp = "$initrdOut$tmpSuffix"
$kernelTmp = "$kernelOut$tmpSuffix"
try {
    foreach ($dir in 'bin', 'dev', 'proc', 'sys', 'tmp', 'run', 'etc', 'root', 'www', "lib/modules/$kernelVersion") {
        $null = [IO.Directory]::CreateDirectory((Join-Path $stage $dir))
    }
    Set-Mode $stage '755'
    Set-Mode (Join-Path $stage 'tmp') '1777'

    [IO.File]::Copy($BusyboxPath, "$stage/bin/busybox")
    Set-Mode "$stage/bin/busybox" '755'
    $null = [IO.File]::CreateSymbolicLink("$stage/bin/sh", 'busybox')

    # Normalise line endings in case the repo was checked out with CRLF.
    $initText = [IO.File]::ReadAllText($InitSource).Replace("`r`n", "`n")
    [IO.File]::WriteAllText("$stage/init", $initText, [Text.UTF8Encoding]::new($false))
    Set-Mode "$stage/init" '755'

    $orderLines = foreach ($rel in $loadOrder) {
        $dest = "$stage/lib/modules/$kernelVersion/$rel"
        $null = [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($dest))
        [IO.File]::Copy("$moduleRoot/$rel", $dest)
        Set-Mode $dest '644'
        "/lib/modules/$kernelVersion/$rel"
    }
    [IO.File]::WriteAllText("$stage/modules.order", (($orderLines -join "`n") + "`n"))
    Set-Mode "$stage/modules.order" '644'

    # Optional: e100 microcode (Debian package firmware-misc-nonfree). The i82551 model needs
    # e100/d102e_ucode.bin, without it its interface cannot be brought up.
    if (Test-Path -LiteralPath '/lib/firmware/e100' -PathType Container) {
        $null = [IO.Directory]::CreateDirectory("$stage/lib/firmware/e100")
        foreach ($fw in [IO.Directory]::GetFiles('/lib/firmware/e100')) {
            $dest = "$stage/lib/firmware/e100/$([IO.Path]::GetFileName($fw))"
            [IO.File]::Copy($fw, $dest)
            Set-Mode $dest '644'
        }
    }

    # Parents sort before their children with ordinal ordering of relative paths.
    $entries = [IO.Directory]::GetFileSystemEntries($stage, '*', [IO.SearchOption]::AllDirectories) |
        ForEach-Object { [IO.Path]::GetRelativePath($stage, $_) } |
        Sort-Object -CaseSensitive
    $cpioArgs = @('-o', '-H', 'newc', '--quiet', '--reproducible', '-R', '0:0', '-D', $stage, '-F', $cpioTmp)
    $entries | & $cpio.Source @cpioArgs
    if ($LASTEXITCODE -ne 0) {
        throw "cpio failed with exit code $LASTEXITCODE while packing the initramfs."
    }

    $in = [IO.File]::OpenRead($cpioTmp)
    try {
        $out = [IO.File]::Create($initrdTmp)
        try {
            $gz = [IO.Compression.GZipStream]::new($out, [IO.Compression.CompressionLevel]::SmallestSize)
            try { $in.CopyTo($gz) } finally { $gz.Dispose() }
        }
        finally { $out.Dispose() }
    }
    finally { $in.Dispose() }

    try {
        [IO.File]::Copy($kernelFile.FullName, $kernelTmp, $true)
    }
    catch [UnauthorizedAccessException] {
        throw "Cannot read $($kernelFile.FullName) (Debian installs kernels mode 0600): run as root or make it readable."
    }
    $now = [DateTime]::UtcNow
    [IO.File]::SetLastWriteTimeUtc($kernelTmp, $now)
    [IO.File]::SetLastWriteTimeUtc($initrdTmp, $now)
    [IO.File]::Move($kernelTmp, $kernelOut, $true)
    [IO.File]::Move($initrdTmp, $initrdOut, $true)
}
finally {
    foreach ($p in $kernelTmp, $initrdTmp, $cpioTmp) {
        if (Test-Path -LiteralPath $p) { Remove-Item -LiteralPath $p -Force }
    }
    if (Test-Path -LiteralPath $stage) { Remove-Item -LiteralPath $stage -Recurse -Force }
}

Write-Verbose "Built test guest in $OutputPath (kernel $kernelVersion, $($loadOrder.Count) modules)."
$result
