using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Qemu;

/// <summary>How a QEMU binary is told to drop root before the guest runs.</summary>
public enum QemuRunAsOption
{
    /// <summary>The binary has no such option.</summary>
    None,

    /// <summary>`-runas user` (deprecated since 9.1).</summary>
    RunAs,

    /// <summary>`-run-with user=user` (QEMU 9.1 and later).</summary>
    RunWith,
}

/// <summary>
/// What one QEMU binary supports, read from its own help texts. <see cref="ProbeAsync(IProcessRunner, string, CancellationToken)"/>
/// asks a binary once per file version (path, mtime, size) and keeps the answers in memory and on disk.
/// </summary>
public sealed partial class QemuCapabilities
{
    /// <summary>The environment variable that names the probe's cache directory.</summary>
    public const string CacheDirectoryVariable = "QEMUNET_CACHE_DIR";

    // Bumped when the cache file's shape changes; the texts in it are QEMU's own, so parser changes need no bump.
    private const int CacheFormat = 1;

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly Version NetNameRemoved = new(5, 1);

    private static readonly ConcurrentDictionary<BinaryFile, QemuCapabilities> MemoryCache = new();

    private QemuCapabilities()
    {
    }

    /// <summary>The version from the first line of `-version` (7.2.22).</summary>
    public required Version Version { get; init; }

    /// <summary>The first line of `-version`, distribution suffix included.</summary>
    public required string VersionText { get; init; }

    /// <summary>The NIC models the binary offers for its default machine.</summary>
    public required IReadOnlyList<QemuNicModel> NicModels { get; init; }

    /// <summary>The -netdev backend types compiled in (user, tap, bridge, socket, hubport…).</summary>
    public required IReadOnlyList<string> NetdevTypes { get; init; }

    /// <summary>Whether `-nic` exists (QEMU 2.12 and later).</summary>
    public bool HasNicOption { get; init; }

    /// <summary>Whether `-net …,vlan=N` is accepted (before QEMU 3.0).</summary>
    public bool SupportsVlan { get; init; }

    /// <summary>Whether `-net …,name=` is accepted (before QEMU 5.1).</summary>
    public bool SupportsNetName { get; init; }

    /// <summary>Which option makes QEMU itself drop root, as its -help lists them.</summary>
    public QemuRunAsOption RunAsOption { get; init; }

    /// <summary>
    /// The cache directory: $QEMUNET_CACHE_DIR, else $XDG_CACHE_HOME/qemunet, else ~/.cache/qemunet; null (no disk
    /// cache) when none can be named because HOME is unset.
    /// </summary>
    public static string? DefaultCacheDirectory() => CacheDirectoryFrom(Environment.GetEnvironmentVariable);

    /// <summary>The rule of <see cref="DefaultCacheDirectory"/> over any environment (tests must not change the process's own).</summary>
    internal static string? CacheDirectoryFrom(Func<string, string?> environment)
    {
        if (environment(CacheDirectoryVariable) is { Length: > 0 } own)
        {
            return own;
        }

        // The XDG spec says to ignore a relative XDG_CACHE_HOME.
        if (environment("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "qemunet");
        }

        return environment("HOME") is { Length: > 0 } home ? Path.Combine(home, ".cache", "qemunet") : null;
    }

    /// <summary>What the binary at <paramref name="qemuPath"/> supports, cached under <see cref="DefaultCacheDirectory"/>.</summary>
    public static Task<QemuCapabilities> ProbeAsync(IProcessRunner runner, string qemuPath, CancellationToken cancellationToken) =>
        ProbeAsync(runner, qemuPath, DefaultCacheDirectory(), cancellationToken);

    /// <summary>
    /// What the binary at <paramref name="qemuPath"/> supports. Answers are kept in memory and, unless
    /// <paramref name="cacheDirectory"/> is null, in a file there; a file that cannot be read, is torn or describes
    /// another version of the binary is ignored and rewritten, and a cache that cannot be written is only skipped.
    /// </summary>
    public static async Task<QemuCapabilities> ProbeAsync(IProcessRunner runner, string qemuPath, string? cacheDirectory,
        CancellationToken cancellationToken)
    {
        var binary = BinaryFile.Of(qemuPath);
        if (MemoryCache.TryGetValue(binary, out var known))
        {
            return known;
        }

        var cacheFile = cacheDirectory is null ? null : Path.Combine(cacheDirectory, binary.CacheFileName);
        if (ReadCache(cacheFile, binary) is { } cached && TryParse(qemuPath, cached) is { } fromDisk)
        {
            return MemoryCache[binary] = fromDisk;
        }

        var texts = await RunProbeAsync(runner, qemuPath, binary, cancellationToken).ConfigureAwait(false);
        var capabilities = Parse(qemuPath, texts);
        if (cacheFile is not null)
        {
            WriteCache(cacheFile, texts);
        }

        return MemoryCache[binary] = capabilities;
    }

    /// <summary>Forgets what <see cref="ProbeAsync(IProcessRunner, string, string, CancellationToken)"/> learned in this process (for tests of the disk cache).</summary>
    internal static void ClearMemoryCache() => MemoryCache.Clear();

    /// <summary>
    /// Reads the five help texts (`-version`, `-help`, `-device help`, the NIC model list and `-netdev help`);
    /// pure. <paramref name="netdevHelp"/> may be empty for binaries older than 2.12, which lack it: their
    /// backend types are then read from <paramref name="helpText"/>.
    /// </summary>
    public static QemuCapabilities Parse(string versionText, string helpText, string deviceHelp, string nicModelHelp, string netdevHelp) =>
        Parse(null, versionText, helpText, deviceHelp, nicModelHelp, netdevHelp);

    private static QemuCapabilities Parse(string qemuPath, ProbeTexts texts) =>
        Parse(qemuPath, texts.VersionText, texts.HelpText, texts.DeviceHelp, texts.NicModelHelp, texts.NetdevHelp);

    private static QemuCapabilities Parse(string? qemuPath, string versionText, string helpText, string deviceHelp, string nicModelHelp,
        string netdevHelp)
    {
        var versionLine = versionText.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault() ?? "";
        var match = VersionLine().Match(versionLine);
        if (!match.Success)
        {
            throw ProbeFailed(qemuPath ?? versionLine, $"'{versionLine}' is not the version line of a QEMU binary.");
        }

        var version = new Version(Number(match.Groups["major"]), Number(match.Groups["minor"]),
            match.Groups["micro"].Success ? Number(match.Groups["micro"]) : 0);
        return new QemuCapabilities
        {
            Version = version,
            VersionText = versionLine,
            NicModels = ParseNicModels(nicModelHelp, deviceHelp),
            NetdevTypes = ParseNetdevTypes(netdevHelp, helpText),
            HasNicOption = NicOption().IsMatch(helpText),
            SupportsVlan = NetVlan().IsMatch(helpText),
            // 5.1 dropped the parameter, but -help still lists it (7.2 does), so only the version can tell.
            SupportsNetName = version < NetNameRemoved,
            RunAsOption = RunWithUser().IsMatch(helpText) ? QemuRunAsOption.RunWith
                : RunAs().IsMatch(helpText) ? QemuRunAsOption.RunAs
                : QemuRunAsOption.None,
        };

        static int Number(Group digits) => int.Parse(digits.Value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The NIC models of a model list in any QEMU format: one comma-separated line ("qemu: Supported NIC models: a,b",
    /// before 4.1), one per line under "Supported/Available NIC models:", or with aliases ("virtio-net-pci (aka virtio)",
    /// 9.0 and later). Bus and description come from `-device help`; a listed model the binary has no device for
    /// (2.x lists a fixed set) is left out.
    /// </summary>
    internal static IReadOnlyList<QemuNicModel> ParseNicModels(string nicModelHelp, string deviceHelp)
    {
        var devices = new Dictionary<string, Match>(StringComparer.Ordinal);
        foreach (Match device in DeviceLine().Matches(deviceHelp))
        {
            devices.TryAdd(device.Groups["name"].Value, device);
        }

        var header = NicModelHeader().Match(nicModelHelp);
        if (!header.Success)
        {
            return [];
        }

        var inline = header.Groups["inline"].Value.Trim();
        var listed = inline.Length > 0
            ? inline.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : nicModelHelp[(header.Index + header.Length)..]
                .Split('\n', StringSplitOptions.TrimEntries)
                .SkipWhile(line => line.Length == 0)
                .TakeWhile(line => line.Length > 0 && !line.EndsWith(':'))
                .Select(line => line.Split(' ')[0]);
        return listed
            .Select(QemuNicModels.ToDevice)
            .Where(device => devices.Count == 0 || devices.ContainsKey(device))
            .Distinct(StringComparer.Ordinal)
            .Select(device =>
            {
                devices.TryGetValue(device, out var line);
                return new QemuNicModel
                {
                    Name = QemuNicModels.ToSeedName(device),
                    Device = device,
                    IsVirtio = QemuNicModels.IsVirtio(device),
                    Bus = line is { } b && b.Groups["bus"].Success ? b.Groups["bus"].Value : null,
                    Description = line is { } d && d.Groups["desc"].Success ? d.Groups["desc"].Value : null,
                };
            })
            .ToArray();
    }

    private static IReadOnlyList<string> ParseNetdevTypes(string netdevHelp, string helpText)
    {
        var header = NetdevHeader().Match(netdevHelp);
        var types = header.Success
            ? netdevHelp[(header.Index + header.Length)..].Split('\n', StringSplitOptions.TrimEntries)
                .SkipWhile(line => line.Length == 0)
                .TakeWhile(line => line.Length > 0)
            : NetdevInHelp().Matches(helpText).Select(m => m.Groups["type"].Value);
        return types.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static async Task<ProbeTexts> RunProbeAsync(IProcessRunner runner, string qemuPath, BinaryFile binary,
        CancellationToken cancellationToken)
    {
        var version = await RunHelpAsync(runner, qemuPath, ["-version"], cancellationToken).ConfigureAwait(false);
        var help = await RunHelpAsync(runner, qemuPath, ["-help"], cancellationToken).ConfigureAwait(false);
        var devices = await RunHelpAsync(runner, qemuPath, ["-device", "help"], cancellationToken).ConfigureAwait(false);
        // -nic and -netdev help both came with QEMU 2.12; an older binary lists models through -net and
        // has its backend types only in -help.
        var hasNic = NicOption().IsMatch(help);
        var models = await RunHelpAsync(runner, qemuPath, hasNic ? ["-nic", "model=help"] : ["-net", "nic,model=help"],
            cancellationToken).ConfigureAwait(false);
        var netdevs = hasNic ? await RunHelpAsync(runner, qemuPath, ["-netdev", "help"], cancellationToken).ConfigureAwait(false) : "";
        return new ProbeTexts(CacheFormat, binary.Path, binary.ModifiedUtc.Ticks, binary.Size, version, help, devices, models, netdevs);
    }

    private static async Task<string> RunHelpAsync(IProcessRunner runner, string qemuPath, IReadOnlyList<string> args,
        CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(qemuPath, args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw ProbeFailed(qemuPath, $"'{CommandLine.Format(qemuPath, args)}' failed: {result.StandardError.Trim()}");
        }

        // Before 4.1 QEMU printed the device and NIC model lists on stderr.
        return string.IsNullOrWhiteSpace(result.StandardOutput) ? result.StandardError : result.StandardOutput;
    }

    private static QemuNetException ProbeFailed(string target, string message) =>
        new("QemuProbeFailed", QemuNetErrorCategory.InvalidResult, target, message,
            "Give -QemuPath a working qemu-system binary, or run Test-QemuNetHost to check the installed QEMU.");

    private static QemuCapabilities? TryParse(string qemuPath, ProbeTexts texts)
    {
        try
        {
            return Parse(qemuPath, texts);
        }
        catch (QemuNetException)
        {
            return null;
        }
    }

    private static ProbeTexts? ReadCache(string? cacheFile, BinaryFile binary)
    {
        if (cacheFile is null)
        {
            return null;
        }

        try
        {
            var texts = JsonSerializer.Deserialize<ProbeTexts>(File.ReadAllText(cacheFile));
            return texts is { Format: CacheFormat } && texts.Path == binary.Path && texts.ModifiedUtcTicks == binary.ModifiedUtc.Ticks
                && texts.Size == binary.Size && texts.IsComplete ? texts : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private static void WriteCache(string cacheFile, ProbeTexts texts)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!, OwnerOnlyDirectory);
            StateStore.WriteAtomic(cacheFile, JsonSerializer.Serialize(texts), OwnerOnlyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A cache only saves time: the answers are right without it.
        }
    }

    /// <summary>One version of a binary file: a rebuilt or replaced QEMU has another mtime or size and is asked again.</summary>
    private readonly record struct BinaryFile(string Path, DateTime ModifiedUtc, long Size)
    {
        public string CacheFileName =>
            "qemu-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path)))[..32] + ".json";

        public static BinaryFile Of(string qemuPath)
        {
            var info = new FileInfo(QemuBinary.Resolve(qemuPath));
            // Through symlinks to the file itself, so replacing what a link points to is seen.
            if (info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            {
                info = target;
            }

            return new BinaryFile(info.FullName, info.LastWriteTimeUtc, info.Length);
        }
    }

    /// <summary>What a binary printed, and for which file version: the cache file's content.</summary>
    private sealed record ProbeTexts(int Format, string Path, long ModifiedUtcTicks, long Size, string VersionText,
        string HelpText, string DeviceHelp, string NicModelHelp, string NetdevHelp)
    {
        // A file edited or written by something else may lack members that the constructor declares non-null.
        public bool IsComplete => Path is not null && VersionText is not null && HelpText is not null && DeviceHelp is not null
            && NicModelHelp is not null && NetdevHelp is not null;
    }

    [GeneratedRegex(@"QEMU emulator version (?<major>\d+)\.(?<minor>\d+)(?:\.(?<micro>\d+))?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionLine();

    [GeneratedRegex("""^name "(?<name>[^"]+)"(?:, bus (?<bus>[^,\n]+))?(?:, alias "[^"]*")?(?:, desc "(?<desc>[^"]*)")?""",
        RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex DeviceLine();

    // 2.x prefixes "qemu: " and lists the models on the same line.
    [GeneratedRegex(@"^(?:\S+: )?(?:Supported|Available) NIC models[^:\n]*:(?<inline>[^\n]*)$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NicModelHeader();

    [GeneratedRegex(@"^Available netdev backend types:[ \t]*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NetdevHeader();

    [GeneratedRegex(@"^--?netdev (?<type>[a-z0-9-]+)[,\[ ]", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NetdevInHelp();

    // 2.12 prints the new option as "--nic".
    [GeneratedRegex(@"^--?nic ", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NicOption();

    [GeneratedRegex(@"^--?net \S*vlan=", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NetVlan();

    [GeneratedRegex(@"^--?run-with .*user=", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RunWithUser();

    [GeneratedRegex(@"^--?runas ", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RunAs();
}
