using System.Globalization;

namespace QemuNet.Core.Processes;

/// <summary>Reads /proc to tell whether a process the module started (a guest's QEMU, a dnsmasq) still runs.</summary>
public static class ProcessProbe
{
    /// <summary>The pid in a pid file, or null when the file is missing or holds no pid.</summary>
    public static int? ReadPidFile(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The arguments of a running process, or null when it is gone or a zombie waiting to be reaped; callers
    /// check the arguments so that a recycled pid is never taken for (or signalled as) their process.
    /// </summary>
    public static IReadOnlyList<string>? LiveCommandLine(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is "Z" or "X" ? null : File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
