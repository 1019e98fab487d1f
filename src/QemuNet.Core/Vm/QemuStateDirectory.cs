namespace QemuNet.Core.Vm;

public static class QemuStateDirectory
{
    public const string EnvironmentVariable = "QEMUNET_STATE_DIR";

    /// <summary>
    /// $QEMUNET_STATE_DIR when set; /run/qemunet for root; otherwise the user's runtime directory,
    /// so a user-mode guest works without root.
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
            ? Path.Combine(Path.GetTempPath(), "qemunet-" + Environment.UserName)
            : Path.Combine(runtime, "qemunet");
    }

    public static string Ensure(string directory)
    {
        if (directory.Contains(',', StringComparison.Ordinal) || directory.Any(char.IsControl))
        {
            // QEMU's -qmp and -serial values cannot carry these reliably.
            throw new QemuNetException("StateDirectoryInvalid", QemuNetErrorCategory.InvalidArgument, directory,
                $"The state directory '{directory}' contains a comma or control character, which QEMU's socket options cannot take.",
                "Set $env:QEMUNET_STATE_DIR to a directory path without commas, e.g. /tmp/qemunet.");
        }

        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new QemuNetException("StateDirectoryDenied", QemuNetErrorCategory.PermissionDenied, directory,
                $"Cannot create the state directory '{directory}': {ex.Message}",
                $"Run as root, or set {EnvironmentVariable} to a directory you can write.", ex);
        }

        return directory;
    }
}
