using System.Text.RegularExpressions;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Qemu;

/// <summary>Finds a QEMU binary, and reads its NIC models from help texts (<see cref="QemuCapabilities"/> asks).</summary>
public static partial class QemuBinary
{
    public const string DefaultProgram = "qemu-system-x86_64";

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

    /// <summary>Parses the two help texts; pure, for tests.</summary>
    public static IReadOnlyList<QemuNicModel> ParseNicModels(string nicModelHelp, string deviceHelp)
    {
        var details = DeviceLine().Matches(deviceHelp)
            .ToDictionary(m => m.Groups["name"].Value, m => m, StringComparer.Ordinal);
        return nicModelHelp.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.Contains(' ', StringComparison.Ordinal) && !line.EndsWith(':'))
            // QEMU before 3.0 listed the seed's short names: "virtio" is virtio-net-pci.
            .Select(QemuNicModels.ToDevice)
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

    [GeneratedRegex("""^name "(?<name>[^"]+)", bus (?<bus>[^,\n]+)(?:, alias "[^"]*")?(?:, desc "(?<desc>[^"]*)")?""", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex DeviceLine();
}
