namespace QemuNet.Core.Engine;

/// <summary>Where the books live: $QEMUNET_STATE_DIR, /run/qemunet for root, else the user's runtime directory.</summary>
public static class StateDirectory
{
    public const string EnvironmentVariable = "QEMUNET_STATE_DIR";

    /// <summary>
    /// $QEMUNET_STATE_DIR when set; /run/qemunet for root; otherwise $XDG_RUNTIME_DIR/qemunet (a user's own
    /// 0700 tmpfs), so a user-mode guest works without root; with no runtime directory, a per-user folder in /tmp.
    /// </summary>
    public static string Resolve()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        if (Environment.IsPrivilegedProcess)
        {
            return "/run/qemunet";
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(runtime)
            ? Path.Combine(Path.GetTempPath(), "qemunet-" + NativeMethods.GetEffectiveUserId().ToString(System.Globalization.CultureInfo.InvariantCulture))
            : Path.Combine(runtime, "qemunet");
    }

    /// <summary>The resolved directory, checked (the caller's own, writable by nobody else) and created when missing.</summary>
    public static StateStore Open() => Open(Resolve());

    public static StateStore Open(string directory)
    {
        if (directory.Contains(',', StringComparison.Ordinal) || directory.Any(char.IsControl))
        {
            // QEMU's -qmp and -serial values cannot carry these reliably.
            throw new QemuNetException("StateDirectoryInvalid", QemuNetErrorCategory.InvalidArgument, directory,
                $"The state directory '{directory}' contains a comma or control character, which QEMU's socket options cannot take.",
                $"Set ${EnvironmentVariable} to a directory path without commas that you own, e.g. $XDG_RUNTIME_DIR/qemunet.");
        }

        return StateStore.Open(directory);
    }
}
