namespace QemuNet.Core.Processes;

public static class ProgramPath
{
    /// <summary>Where root's tools (ip, nft, dnsmasq, sysctl) live; a normal user's PATH often lacks them.</summary>
    public static readonly string[] SystemDirectories = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

    /// <summary>The full path to run <paramref name="program"/> by: a bare name is looked up on PATH and then in the sbin folders.</summary>
    public static string Resolve(string program) =>
        program.Contains('/', StringComparison.Ordinal) ? program : Find(program, SystemDirectories) ?? program;

    /// <summary>
    /// The full path of program <paramref name="name"/> on PATH, then in <paramref name="alsoIn"/> (root's tools live
    /// in sbin, which a user's PATH often lacks); null when it is nowhere.
    /// </summary>
    public static string? Find(string name, params string[] alsoIn) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(alsoIn)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
