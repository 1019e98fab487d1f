# What the Stress and Bench tasks share when they write bench/RESULTS.md: the machine a figure was measured on,
# the commit it was measured at, and each task's own part of the file. Dot-source it.

function Get-MachineDescription {
    $cpu = (Get-Content /proc/cpuinfo | Where-Object { $_ -match '^model name\s*:' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
    $memKb = [double]((Get-Content /proc/meminfo | Where-Object { $_ -match '^MemTotal:' }) -replace '\D', '')
    $qemu = (& qemu-system-x86_64 --version 2>$null | Select-Object -First 1) -replace '^QEMU emulator version ', ''
    return [pscustomobject]@{
        Cpu = $cpu; Cores = [Environment]::ProcessorCount; MemoryGiB = [math]::Round($memKb / 1MB, 1)
        Kernel = (& uname -r); Qemu = $qemu
    }
}

function Get-ResultsHeader([string]$Root, [string]$Command) {
    <# The lines that head a task's figures: the command, the date and commit, the machine. #>
    $machine = Get-MachineDescription
    $commit = (& git -C $Root rev-parse --short HEAD)
    # The figures file itself changes with every run: it does not make the tree "changed".
    $dirty = @(& git -C $Root status --porcelain --untracked-files=no | Where-Object { $_ -notmatch 'bench/RESULTS\.md$' })
    "- Command: ``$Command`` (as root)"
    "- Date: $([datetime]::UtcNow.ToString('yyyy-MM-dd HH:mm')) UTC; commit $commit$(if ($dirty) { ' with uncommitted changes' })"
    "- Machine: $($machine.Cpu), $($machine.Cores) cores, $($machine.MemoryGiB) GiB memory; kernel $($machine.Kernel); QEMU $($machine.Qemu)"
}

function Set-ResultsSection([string]$Path, [string]$Name, [string[]]$Lines) {
    <# Replaces only the part between this task's markers; the other task's part of the file stays. #>
    $begin = "<!-- ${Name}:begin -->"
    $end = "<!-- ${Name}:end -->"
    $text = if (Test-Path $Path) { (Get-Content -Raw $Path) -replace "`r", '' } else { "# QemuNet figures`n" }
    if ($text -notmatch [regex]::Escape($begin) -or $text -notmatch [regex]::Escape($end)) { $text = $text.TrimEnd() + "`n`n$begin`n$end`n" }
    $section = $begin + "`n" + ($Lines -join "`n") + "`n" + $end
    $pattern = [regex]::Escape($begin) + '.*?' + [regex]::Escape($end)
    $text = [regex]::new($pattern, 'Singleline').Replace($text, { $section }, 1)
    Set-Content -LiteralPath $Path -Value $text -NoNewline
}
