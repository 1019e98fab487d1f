using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Qemu;

/// <summary>How a QEMU binary lets its process drop to another user once it has set up.</summary>
public enum QemuRunAsOption
{
    None,

    /// <summary>-runas user (until 9.0).</summary>
    RunAs,

    /// <summary>-run-with user= (9.1 on).</summary>
    RunWith,
}

/// <summary>
/// What one QEMU binary supports, from its own help texts: version, NIC models, netdev types, whether it has -nic,
/// how it drops privileges. Probed once per binary file (path, modification time, size) and kept on disk, so a
/// later session does not start QEMU again to learn the same.
/// </summary>
public sealed partial record QemuCapabilities
{
    public required Version Version { get; init; }

    /// <summary>The first line of -version, e.g. "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)".</summary>
    public required string VersionText { get; init; }

    public IReadOnlyList<QemuNicModel> NicModels { get; init; } = [];

    public IReadOnlyList<string> NetdevTypes { get; init; } = [];

    /// <summary>-nic exists (QEMU 2.12 on).</summary>
    public bool HasNicOption { get; init; }

    public QemuRunAsOption RunAsOption { get; init; }

    /// <summary>-net …,vlan=n (before 3.0).</summary>
    public bool SupportsVlan => Version < QemuArgvRenderer.VlanRemoved;

    /// <summary>-net …,name= (before 5.1).</summary>
    public bool SupportsNetName => Version < QemuArgvRenderer.NetNameRemoved;

    private static readonly ConcurrentDictionary<(string Path, DateTime Modified, long Size), QemuCapabilities> Memory = new();

    /// <summary>The capabilities from the binary's help texts; pure. Old binaries print some of them differently (see the cases).</summary>
    public static QemuCapabilities Parse(string versionText, string helpText, string deviceHelp, string nicModelHelp, string netdevHelp)
    {
        var versionLine = versionText.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
        var version = VersionNumber().Match(versionLine);
        if (!version.Success)
        {
            throw new QemuNetException("QemuProbeFailed", QemuNetErrorCategory.InvalidResult, versionLine,
                $"The QEMU binary printed no version: '{versionLine}'.", "Give -QemuPath a working qemu-system binary.");
        }

        var netdevTypes = ListAfter(netdevHelp, "Available netdev backend types:");
        if (netdevTypes.Count == 0)
        {
            // Binaries without `-netdev help` still list their types in -help ("-netdev user,id=str…").
            netdevTypes = HelpNetdev().Matches(helpText).Select(m => m.Groups["type"].Value).Distinct(StringComparer.Ordinal).ToList();
        }

        return new QemuCapabilities
        {
            Version = Version.Parse(version.Groups["v"].Value),
            VersionText = versionLine,
            NicModels = QemuBinary.ParseNicModels(string.Join('\n', ListAfter(nicModelHelp, "Supported NIC models:")), deviceHelp),
            NetdevTypes = netdevTypes,
            HasNicOption = HelpOption("nic").IsMatch(helpText),
            RunAsOption = HelpOption("run-with").IsMatch(helpText) ? QemuRunAsOption.RunWith
                : HelpOption("runas").IsMatch(helpText) ? QemuRunAsOption.RunAs : QemuRunAsOption.None,
        };
    }

    /// <summary>
    /// The capabilities of <paramref name="qemuPath"/>: from memory, else from the disk cache (when it is of this very
    /// file), else probed — five short runs of the binary — and written to the cache.
    /// </summary>
    public static async Task<QemuCapabilities> ProbeAsync(IProcessRunner runner, string qemuPath, CancellationToken cancellationToken, string? cacheDirectory = null)
    {
        var file = new FileInfo(qemuPath);
        var key = (file.FullName, file.LastWriteTimeUtc, file.Length);
        if (Memory.TryGetValue(key, out var known))
        {
            return known;
        }

        var cacheFile = CacheFile(cacheDirectory ?? DefaultCacheDirectory(), file.FullName);
        if (cacheFile is not null && ReadCache(cacheFile, key) is { } cached)
        {
            return Memory[key] = cached;
        }

        var version = await RunAsync(runner, qemuPath, ["-version"], cancellationToken).ConfigureAwait(false);
        var help = await RunAsync(runner, qemuPath, ["-help"], cancellationToken).ConfigureAwait(false);
        var devices = await RunAsync(runner, qemuPath, ["-device", "help"], cancellationToken).ConfigureAwait(false);
        // Before 4.1 the list went to stderr on one line; before 2.12 there was no -nic to ask.
        string[] modelQuery = HelpOption("nic").IsMatch(help.StandardOutput) ? ["-nic", "model=help"] : ["-net", "nic,model=help"];
        var models = await RunAsync(runner, qemuPath, modelQuery, cancellationToken).ConfigureAwait(false);
        var netdevs = await runner.RunAsync(qemuPath, ["-netdev", "help"], cancellationToken).ConfigureAwait(false);
        var capabilities = Parse(version.StandardOutput, help.StandardOutput, devices.StandardOutput, models.StandardOutput + "\n" + models.StandardError,
            netdevs.Succeeded ? netdevs.StandardOutput : string.Empty);
        Memory[key] = capabilities;
        if (cacheFile is not null)
        {
            WriteCache(cacheFile, key, capabilities);
        }

        return capabilities;
    }

    /// <summary>Forgets what was probed in this process (the disk cache stays); for tests.</summary>
    public static void ClearMemory() => Memory.Clear();

    /// <summary>$QEMUNET_CACHE_DIR, else $XDG_CACHE_HOME/qemunet, else ~/.cache/qemunet; null without a home.</summary>
    public static string? DefaultCacheDirectory()
    {
        if (Environment.GetEnvironmentVariable("QEMUNET_CACHE_DIR") is { Length: > 0 } dir)
        {
            return dir;
        }

        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg)
        {
            return Path.Combine(xdg, "qemunet");
        }

        return Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? Path.Combine(home, ".cache", "qemunet") : null;
    }

    private static string? CacheFile(string? directory, string qemuPath) =>
        directory is null ? null : Path.Combine(directory, "qemu-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(qemuPath)))[..16] + ".json");

    private sealed record CacheEntry(string Path, DateTime Modified, long Size, QemuCapabilities Capabilities);

    private static QemuCapabilities? ReadCache(string cacheFile, (string Path, DateTime Modified, long Size) key)
    {
        try
        {
            // A cache of another file, another version of it, torn or forged, is not used: the binary is asked again.
            var entry = JsonSerializer.Deserialize<CacheEntry>(File.ReadAllText(cacheFile));
            return entry is not null && entry.Path == key.Path && entry.Modified == key.Modified && entry.Size == key.Size
                && entry.Capabilities is { VersionText.Length: > 0, NicModels.Count: > 0 }
                ? entry.Capabilities
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    private static void WriteCache(string cacheFile, (string Path, DateTime Modified, long Size) key, QemuCapabilities capabilities)
    {
        try
        {
            var directory = Path.GetDirectoryName(cacheFile)!;
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var temporary = cacheFile + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(new CacheEntry(key.Path, key.Modified, key.Size, capabilities)));
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, cacheFile, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only means asking the binary again next time.
        }
    }

    private static List<string> ListAfter(string text, string header)
    {
        var at = text.IndexOf(header, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        // "a,b,c" on the header's line (QEMU before 4.1), or one per line after it.
        return text[(at + header.Length)..].Split([',', '\n', '\r', ' '], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .TakeWhile(word => !word.EndsWith(':') && !word.Contains('=') && !word.StartsWith("qemu", StringComparison.Ordinal))
            .ToList();
    }

    private static async Task<ProcessResult> RunAsync(IProcessRunner runner, string qemuPath, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(qemuPath, args, cancellationToken).ConfigureAwait(false);
        // QEMU before 4.1 exited 0 after printing the NIC list to stderr; anything else non-zero is a failed probe.
        if (!result.Succeeded)
        {
            throw new QemuNetException("QemuProbeFailed", QemuNetErrorCategory.InvalidResult, qemuPath,
                $"'{qemuPath} {string.Join(' ', args)}' failed: {result.StandardError.Trim()}",
                "Give -QemuPath a working qemu-system binary, or run Test-QemuNetHost to check the installed QEMU.");
        }

        return result;
    }

    private static Regex HelpOption(string name) => new($"(?m)^-{Regex.Escape(name)}(\\s|$)", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"version (?<v>\d+\.\d+(\.\d+)?)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionNumber();

    [GeneratedRegex(@"(?m)^-netdev (?<type>[a-z0-9-]+)[,\[ ]", RegexOptions.CultureInvariant)]
    private static partial Regex HelpNetdev();
}
