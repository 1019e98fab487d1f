using System.Runtime.CompilerServices;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

/// <summary>What each QEMU version's help texts say it supports (data/qemu, see SOURCES.md), and the probe's cache.</summary>
public class QemuCapabilitiesTests
{
    private static QemuCapabilities Load(string version, [CallerFilePath] string callerFile = "")
    {
        var folder = Path.Combine(Path.GetDirectoryName(callerFile)!, "data", "qemu", version);
        string Text(string name) => File.ReadAllText(Path.Combine(folder, name));
        return QemuCapabilities.Parse(Text("version.txt"), Text("help.txt"), Text("device-help.txt"), Text("nic-models.txt"), Text("netdev-help.txt"));
    }

    [Theory]
    [InlineData("2.12", "2.12.0", true, true, QemuRunAsOption.RunAs, false)]
    [InlineData("4.2", "4.2.1", true, false, QemuRunAsOption.RunAs, false)]
    [InlineData("6.2", "6.2.0", true, false, QemuRunAsOption.RunAs, false)]
    [InlineData("7.2", "7.2.22", true, false, QemuRunAsOption.RunAs, false)]
    [InlineData("8.2", "8.2.2", true, false, QemuRunAsOption.RunAs, true)]
    [InlineData("9.2", "9.2.0", true, false, QemuRunAsOption.RunWith, true)]
    public void EachVersionSaysWhatItSupports(string folder, string version, bool nic, bool vlan, QemuRunAsOption runAs, bool igb)
    {
        var capabilities = Load(folder);
        Assert.Equal(Version.Parse(version), capabilities.Version);
        Assert.Equal(nic, capabilities.HasNicOption);
        Assert.Equal(vlan, capabilities.SupportsVlan);
        Assert.Equal(runAs, capabilities.RunAsOption);
        Assert.Equal(igb, capabilities.NicModels.Any(m => m.Device == "igb"));
        Assert.Contains("hubport", capabilities.NetdevTypes);
        Assert.Contains(capabilities.NicModels, m => m.Device == "e1000" && m.Bus == "PCI");
        Assert.Contains(capabilities.NicModels, m => m.Name == "virtio" && m.IsVirtio);
        Assert.Equal(QemuCommandLineSyntax.Modern, QemuArgvRenderer.ChooseSyntax(QemuCommandLineSyntax.Auto, capabilities.Version));
    }

    [Fact]
    public void QemuBefore41PrintedItsSeedListOnOneLineToStderr()
    {
        var capabilities = Load("2.12");
        Assert.Equal(["e1000", "i82551", "i82557b", "i82559er", "ne2k_pci", "pcnet", "rtl8139", "virtio"],
            capabilities.NicModels.Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.Equal(8, capabilities.NicModels.Count);
        Assert.Equal(["user", "tap", "bridge", "l2tpv3", "socket", "vde", "vhost-user", "hubport"], capabilities.NetdevTypes);
        Assert.True(capabilities.SupportsNetName);
    }

    [Fact]
    public async Task TheInstalledBinaryIsProbedOnceThenReadFromMemoryAndDisk()
    {
        var qemu = QemuBinary.Resolve(null);
        var cache = Directory.CreateTempSubdirectory("qemunet-cache-").FullName;
        try
        {
            QemuCapabilities.ClearMemory();
            var counting = new CountingRunner();
            var probed = await QemuCapabilities.ProbeAsync(counting, qemu, CancellationToken.None, cache);
            Assert.Equal(5, counting.Calls);
            Assert.Equal(7, probed.Version.Major);
            Assert.Equal(QemuRunAsOption.RunAs, probed.RunAsOption);
            Assert.True(probed.HasNicOption);
            Assert.Contains(probed.NicModels, m => m.Device == "virtio-net-pci");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Assert.Single(Directory.GetFiles(cache))));

            await QemuCapabilities.ProbeAsync(counting, qemu, CancellationToken.None, cache);
            QemuCapabilities.ClearMemory();
            var fromDisk = await QemuCapabilities.ProbeAsync(counting, qemu, CancellationToken.None, cache);
            Assert.Equal(5, counting.Calls);
            Assert.Equal(probed.VersionText, fromDisk.VersionText);
            Assert.Equal(probed.NicModels.Select(m => m.Device), fromDisk.NicModels.Select(m => m.Device));

            // A torn cache file is not believed: the binary is asked again, and the file written anew.
            var file = Directory.GetFiles(cache).Single();
            File.WriteAllText(file, "{\"Path\":");
            QemuCapabilities.ClearMemory();
            await QemuCapabilities.ProbeAsync(counting, qemu, CancellationToken.None, cache);
            Assert.Equal(10, counting.Calls);
            Assert.StartsWith("{\"Path\":\"", File.ReadAllText(file), StringComparison.Ordinal);
        }
        finally
        {
            QemuCapabilities.ClearMemory();
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task ANewerFileOfTheSamePathIsProbedAgainAndAnUnwritableCacheIsNoError()
    {
        var folder = Directory.CreateTempSubdirectory("qemunet-binary-").FullName;
        try
        {
            // A binary of its own (QEMU itself run through it), so its time can change without touching the real one.
            var copy = Path.Combine(folder, "qemu-system-x86_64");
            File.WriteAllText(copy, $"#!/bin/sh\nexec {QemuBinary.Resolve(null)} \"$@\"\n");
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var cache = Path.Combine(folder, "cache");
            var counting = new CountingRunner();
            QemuCapabilities.ClearMemory();
            await QemuCapabilities.ProbeAsync(counting, copy, CancellationToken.None, cache);
            File.SetLastWriteTimeUtc(copy, DateTime.UtcNow.AddMinutes(1));
            QemuCapabilities.ClearMemory();
            await QemuCapabilities.ProbeAsync(counting, copy, CancellationToken.None, cache);
            Assert.Equal(10, counting.Calls);

            // A file where the cache folder should be: nothing can be written, the probe still answers.
            var blocked = Path.Combine(folder, "not-a-folder");
            File.WriteAllText(blocked, string.Empty);
            QemuCapabilities.ClearMemory();
            var capabilities = await QemuCapabilities.ProbeAsync(counting, copy, CancellationToken.None, blocked);
            Assert.Equal(7, capabilities.Version.Major);
        }
        finally
        {
            QemuCapabilities.ClearMemory();
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class CountingRunner : IProcessRunner
    {
        private readonly CliProcessRunner _inner = new();

        public int Calls { get; private set; }

        public Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? standardInput = null)
        {
            Calls++;
            return _inner.RunAsync(fileName, arguments, cancellationToken, standardInput);
        }
    }
}
