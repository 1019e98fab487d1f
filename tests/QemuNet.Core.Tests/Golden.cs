using System.Runtime.CompilerServices;

namespace QemuNet.Core.Tests;

/// <summary>
/// Compares text with a file under golden/. Set QEMUNET_UPDATE_GOLDEN=1 to (re)write the files instead,
/// then read the diff before committing it.
/// </summary>
internal static class Golden
{
    public static void AssertMatches(string relativePath, string actual, [CallerFilePath] string callerFile = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(callerFile)!, "golden", relativePath);
        if (Environment.GetEnvironmentVariable("QEMUNET_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; run with QEMUNET_UPDATE_GOLDEN=1 to create it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
