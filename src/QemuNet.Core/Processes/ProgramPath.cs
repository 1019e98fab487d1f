namespace QemuNet.Core.Processes;

public static class ProgramPath
{
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
