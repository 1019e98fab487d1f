using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Qemu;

/// <summary>Finds a QEMU binary and asks it what it supports; answers are cached per binary file version.</summary>
public static partial class QemuBinary
{
    public const string DefaultProgram = "qemu-system-x86_64";

    private static readonly ConcurrentDictionary<(string Path, DateTime Modified, long Size), IReadOnlyList<QemuNicModel>> ModelCache = new();

    /// <summary>The full path of <paramref name="path"/> (a path, or a name looked up on PATH).</summary>
    public static string Resolve(string? path)
    {
        var wanted = string.IsNullOrEmpty(path) ? DefaultProgram : path;
        var found = wanted.Contains('/', StringComparison.Ordinal)
            ? (File.Exists(wanted) ? Path.GetFullPath(wanted) : null)
            : ProgramPath.Find(wanted);
        return found ?? throw new QemuNetException("QemuNotFound", QemuNetErrorCategory.ObjectNotFound, wanted,
            $"The QEMU binary '{wanted}' was not found.",
            "Install QEMU (Debian: apt-get install qemu-system-x86) or give its path with -QemuPath.");
    }

    /// <summary>The NIC models of a binary, from `-nic model=help` (the modern `-net nic,model=?`) and `-device help`.</summary>
    public static async Task<IReadOnlyList<QemuNicModel>> GetNicModelsAsync(IProcessRunner runner, string qemuPath, CancellationToken cancellationToken)
    {
        var info = new FileInfo(qemuPath);
        var key = (info.FullName, info.LastWriteTimeUtc, info.Length);
        if (ModelCache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var names = await RunHelpAsync(runner, qemuPath, ["-nic", "model=help"], cancellationToken).ConfigureAwait(false);
        var devices = await RunHelpAsync(runner, qemuPath, ["-device", "help"], cancellationToken).ConfigureAwait(false);
        var models = ParseNicModels(names, devices);
        ModelCache[key] = models;
        return models;
    }

    /// <summary>The binary's version from its `-version` line ("QEMU emulator version 7.2.22 (…)").</summary>
    public static async Task<Version> GetVersionAsync(IProcessRunner runner, string qemuPath, CancellationToken cancellationToken)
    {
        var text = await RunHelpAsync(runner, qemuPath, ["-version"], cancellationToken).ConfigureAwait(false);
        var match = VersionLine().Match(text);
        return match.Success ? Version.Parse(match.Groups["v"].Value)
            : throw new QemuNetException("QemuProbeFailed", QemuNetErrorCategory.InvalidResult, qemuPath,
                $"'{qemuPath} -version' printed no version: {text.Trim()}", "Give -QemuPath a working qemu-system binary.");
    }

    [GeneratedRegex(@"version (?<v>\d+\.\d+(\.\d+)?)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionLine();

    /// <summary>Parses the two help texts; pure, for tests.</summary>
    public static IReadOnlyList<QemuNicModel> ParseNicModels(string nicModelHelp, string deviceHelp)
    {
        var details = DeviceLine().Matches(deviceHelp)
            .ToDictionary(m => m.Groups["name"].Value, m => m, StringComparer.Ordinal);
        return nicModelHelp.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.Contains(' ', StringComparison.Ordinal) && !line.EndsWith(':'))
            .Select(device =>
            {
                details.TryGetValue(device, out var m);
                return new QemuNicModel
                {
                    Name = QemuNicModels.ToSeedName(device),
                    Device = device,
                    IsVirtio = QemuNicModels.IsVirtio(device),
                    Bus = m?.Groups["bus"].Value,
                    Description = m is { } d && d.Groups["desc"].Success ? d.Groups["desc"].Value : null,
                };
            })
            .ToArray();
    }

    private static async Task<string> RunHelpAsync(IProcessRunner runner, string qemuPath, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(qemuPath, args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new QemuNetException("QemuProbeFailed", QemuNetErrorCategory.InvalidResult, qemuPath,
                $"'{qemuPath} {string.Join(' ', args)}' failed: {result.StandardError.Trim()}",
                "Give -QemuPath a working qemu-system binary, or run Test-QemuNetHost to check the installed QEMU.");
        }

        return result.StandardOutput;
    }

    [GeneratedRegex("""^name "(?<name>[^"]+)", bus (?<bus>[^,\n]+)(?:, alias "[^"]*")?(?:, desc "(?<desc>[^"]*)")?""", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex DeviceLine();
}
