using System.Diagnostics;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Tests;

/// <summary>Descriptors handed to one program reach it at their numbers, and no other program started meanwhile.</summary>
public class FdSpawnerTests
{
    [Fact]
    public async Task HandedOverDescriptorsReachOnlyThatProgram()
    {
        var marker = Path.Combine(Path.GetTempPath(), "qemunet-fd-handover-" + Guid.NewGuid().ToString("n"));
        try
        {
            using var file = File.OpenHandle(marker, FileMode.CreateNew, FileAccess.ReadWrite);
            for (var round = 0; round < 10; round++)
            {
                // Another program started at the same moment, the way anything else in the process might.
                var other = Task.Run(() =>
                {
                    using var process = Process.Start(new ProcessStartInfo("/bin/ls", ["-l", "/proc/self/fd"]) { RedirectStandardOutput = true })!;
                    var text = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    return text;
                });
                var result = await FdSpawner.RunAsync("/bin/ls", ["-l", "/proc/self/fd"], [(file, 20), (file, 33)], CancellationToken.None);
                Assert.Equal(0, result.ExitCode);
                Assert.Matches($@"(?m) 20 -> {marker}$", result.StandardOutput);
                Assert.Matches($@"(?m) 33 -> {marker}$", result.StandardOutput);
                Assert.DoesNotContain(marker, await other, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task ExitCodeAndErrorsOfAFailingProgram()
    {
        var result = await FdSpawner.RunAsync("ls", ["/nonexistent-qemunet"], [], CancellationToken.None);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent-qemunet", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChildLeftHoldingTheOutputDoesNotHoldTheCaller()
    {
        var watch = Stopwatch.StartNew();
        var result = await FdSpawner.RunAsync("/bin/sh", ["-c", "sleep 15 & echo started"], [], CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"waited {watch.Elapsed} for a pipe a background child holds");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    public async Task StandardDescriptorsAreNotTargets(int target)
    {
        using var file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        await Assert.ThrowsAsync<ArgumentException>(() => FdSpawner.RunAsync("/bin/true", [], [(file, target)], CancellationToken.None));
    }
}
