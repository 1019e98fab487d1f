using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Qemu;

/// <summary>Finds a QEMU binary; what it supports is <see cref="QemuCapabilities"/>' to ask.</summary>
public static class QemuBinary
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

    /// <summary>Parses the NIC model list and `-device help`; pure, for tests.</summary>
    public static IReadOnlyList<QemuNicModel> ParseNicModels(string nicModelHelp, string deviceHelp) =>
        QemuCapabilities.ParseNicModels(nicModelHelp, deviceHelp);
}
