using System.Text;
using QemuNet.Core.Engine;

namespace QemuNet.Core.Service;

/// <summary>
/// The systemd unit that runs Restore-QemuNetwork at boot: after the network is online, as a oneshot that stays
/// "active" so guests' units can order themselves after it. Written and removed through the file driver.
/// </summary>
public static class RestoreService
{
    public const string UnitName = "qemunet-restore.service";

    public const string DefaultUnitDirectory = "/etc/systemd/system";

    /// <summary>The first line of every unit the module writes: Unregister removes only a unit that starts with it.</summary>
    public const string Header = "# Written by QemuNet (Register-QemuNetService); Unregister-QemuNetService removes it.";

    /// <summary>
    /// The unit's text. <paramref name="pwsh"/> is the program and its leading arguments (the dotnet host and
    /// pwsh.dll for PowerShell run as a dotnet tool); <paramref name="modulePath"/> is the folder holding the
    /// QemuNet module folder, put on PSModulePath so Restore-QemuNetwork loads it.
    /// </summary>
    public static string Render(IReadOnlyList<string> pwsh, string modulePath, string? configDirectory)
    {
        foreach (var path in pwsh.Append(modulePath).Append(configDirectory).OfType<string>())
        {
            CheckPath(path);
        }

        var s = new StringBuilder();
        s.Append(Header).Append('\n');
        s.Append("[Unit]\n");
        s.Append("Description=QemuNet: bring back the networks defined with -AutoStart (Restore-QemuNetwork)\n");
        s.Append("Wants=network-online.target\n");
        s.Append("After=network-online.target\n");
        s.Append('\n');
        s.Append("[Service]\n");
        s.Append("Type=oneshot\n");
        // Active after it ran: a guest's unit with After= and Requires= this one starts once the networks are back.
        s.Append("RemainAfterExit=yes\n");
        s.Append("Environment=\"PSModulePath=").Append(modulePath).Append("\"\n");
        if (configDirectory is not null)
        {
            s.Append("Environment=\"").Append(DefinitionStore.EnvironmentVariable).Append('=').Append(configDirectory).Append("\"\n");
        }

        // Each word quoted for systemd (paths may hold spaces); CheckPath keeps out what quoting cannot carry.
        s.Append("ExecStart=").Append(string.Join(' ', pwsh.Select(p => "\"" + p + "\"")))
            .Append(" -NoProfile -NonInteractive -Command Restore-QemuNetwork\n");
        s.Append('\n');
        s.Append("[Install]\n");
        s.Append("WantedBy=multi-user.target\n");
        return s.ToString();
    }

    /// <summary>An absolute path without what a systemd unit line would read as a quote, escape, variable or specifier.</summary>
    public static string CheckPath(string path)
    {
        if (!Path.IsPathFullyQualified(path) || path.Any(c => char.IsControl(c) || c is '"' or '\'' or '\\' or '$' or '%' or ';'))
        {
            throw new QemuNetException("ServicePathInvalid", QemuNetErrorCategory.InvalidArgument, path,
                $"'{path}' cannot go into a systemd unit: it must be an absolute path without quotes, backslashes, '$', '%', ';' or control characters.",
                "Give an absolute path without those characters (install PowerShell and the module under such a path).");
        }

        return path;
    }
}
