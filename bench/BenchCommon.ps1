# Shared by Invoke-Bench.ps1 and NatInNamespace.ps1: medians, program counts and namespace snapshots.

function Get-Median([double[]]$Values) {
    $sorted = [double[]]($Values | Sort-Object)
    $n = $sorted.Count
    if ($n -eq 0) { throw 'No values to take the median of.' }
    if ($n % 2) { return $sorted[($n - 1) / 2] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Test-ExternalProgram([string]$Word) {
    <# True when a command word names a program (a path, or a name on PATH or in sbin), not a shell builtin or a sentence. #>
    if ($Word -match '/') { return Test-Path -LiteralPath $Word -PathType Leaf }
    if ($Word -notmatch '^[\w.+-]+$' -or $Word -in $script:BashBuiltins) { return $false }
    return [bool](Get-Command $Word -CommandType Application -ErrorAction Ignore) -or
        [bool](@('/usr/local/sbin', '/usr/sbin', '/sbin') | Where-Object { Test-Path (Join-Path $_ $Word) -PathType Leaf })
}

# bash runs these itself; '[' and 'kill' are also programs on disk, but bash never starts those.
$script:BashBuiltins = @(& bash -c 'compgen -b; compgen -k')

function Get-ModuleProgramCount([object[]]$Output) {
    <#
    The programs a cmdlet started: its runner writes every command line to -Verbose before it runs it (one process
    each; `ip netns exec` execs its program in the same process). Step titles ("[qn-lab] Create bridge") are not.
    #>
    $lines = @($Output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
    return @($lines | Where-Object { Test-ExternalProgram ($_ -split ' ', 2)[0] }).Count
}

function Invoke-TracedScript([string]$Path, [string[]]$ArgumentList, [string]$TracePath) {
    <# Runs a bash script with xtrace going to a file (not its stderr), for Get-ScriptProgramCount. #>
    & bash -c 'exec 9>"$1"; BASH_XTRACEFD=9; PS4="+ "; shift; set -x; source "$@"' bench $TracePath $Path @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "bash $Path $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE." }
}

function Get-ScriptProgramCount([string]$TracePath) {
    <#
    The processes a traced script started: bash itself, and every command of the trace ('+ cmd', '++ cmd' in a
    command substitution) that is a program rather than a builtin; assignments and builtins start none.
    #>
    $words = Get-Content -LiteralPath $TracePath | Where-Object { $_ -match '^\++ (\S+)' } | ForEach-Object { $Matches[1].Trim("'") }
    return 1 + @($words | Where-Object { Test-ExternalProgram $_ }).Count
}

function Get-NamespaceState([string]$Namespace) {
    <# What a NAT run may change in a namespace, as text: links, addresses, nftables, forwarding, processes. #>
    $parts = @(
        & ip -n $Namespace -o link show
        & ip -n $Namespace -o addr show
        & ip netns exec $Namespace nft list ruleset
        "ip_forward=$(& ip netns exec $Namespace cat /proc/sys/net/ipv4/ip_forward)"
        "pids=$((@(& ip netns pids $Namespace) | Sort-Object) -join ',')"
    )
    return $parts -join "`n"
}
