using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

/// <summary>
/// The capability probe against QEMU's help texts of many versions (data/qemu, see SOURCES.md there) and
/// against the installed 7.2. The tests of the caches probe a binary of their own that runs the installed one,
/// so that its path and mtime are theirs alone.
/// </summary>
public sealed class QemuCapabilitiesTests : IDisposable
{
    private const string InstalledQemu = "/usr/bin/qemu-system-x86_64";

    private static readonly string[][] ModernProbe =
        [["-version"], ["-help"], ["-device", "help"], ["-nic", "model=help"], ["-netdev", "help"]];

    private readonly string _temp = Directory.CreateTempSubdirectory("qemunet-capabilities-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("2.11", "2.11.0", false, true, true, QemuRunAsOption.RunAs, false, false)]
    [InlineData("2.12", "2.12.0", true, true, true, QemuRunAsOption.RunAs, false, false)]
    [InlineData("4.2", "4.2.0", true, false, true, QemuRunAsOption.RunAs, false, false)]
    [InlineData("6.2", "6.2.0", true, false, false, QemuRunAsOption.RunAs, false, false)]
    [InlineData("7.2", "7.2.22", true, false, false, QemuRunAsOption.RunAs, false, true)]
    [InlineData("8.2", "8.2.2", true, false, false, QemuRunAsOption.RunAs, true, true)]
    [InlineData("9.2", "9.2.4", true, false, false, QemuRunAsOption.RunWith, true, true)]
    public void EachVersionsHelpTextsGiveItsFacts(string folder, string version, bool hasNic, bool vlan, bool netName,
        QemuRunAsOption runAs, bool hasIgb, bool hasStream)
    {
        var capabilities = ParseData(folder);

        Assert.Equal(Version.Parse(version), capabilities.Version);
        Assert.StartsWith($"QEMU emulator version {version}", capabilities.VersionText, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', capabilities.VersionText);
        Assert.Equal(hasNic, capabilities.HasNicOption);
        Assert.Equal(vlan, capabilities.SupportsVlan);
        Assert.Equal(netName, capabilities.SupportsNetName);
        Assert.Equal(runAs, capabilities.RunAsOption);
        Assert.Equal(hasIgb, capabilities.NicModels.Any(m => m.Device == "igb"));
        Assert.Equal(hasStream, capabilities.NetdevTypes.Contains("stream"));
        Assert.Subset(capabilities.NetdevTypes.ToHashSet(), new HashSet<string> { "hubport", "user", "tap", "socket", "bridge" });
        var e1000 = Assert.Single(capabilities.NicModels, m => m.Device == "e1000");
        Assert.Equal(("e1000", "PCI", "Intel Gigabit Ethernet", false), (e1000.Name, e1000.Bus, e1000.Description, e1000.IsVirtio));
        var virtio = Assert.Single(capabilities.NicModels, m => m.IsVirtio && m.Name == "virtio");
        Assert.Equal(("virtio-net-pci", "PCI"), (virtio.Device, virtio.Bus));
        Assert.Equal(capabilities.NicModels.Count, capabilities.NicModels.Select(m => m.Device).Distinct().Count());
    }

    [Fact]
    public void QemuTwoElevenListsItsFixedModelsOnOneLineAndItsBackendsOnlyInHelp()
    {
        var capabilities = ParseData("2.11");

        // "virtio" is the old name of virtio-net-pci; "sungem" is listed but not built for x86_64.
        Assert.Equal(["ne2k_pci", "i82551", "i82557b", "i82559er", "rtl8139", "e1000", "pcnet", "virtio-net-pci"],
            capabilities.NicModels.Select(m => m.Device));
        Assert.Equal(["user", "tap", "bridge", "l2tpv3", "socket", "vde", "vhost-user", "hubport"], capabilities.NetdevTypes);
    }

    [Fact]
    public void QemuTwoTwelvesDoubleDashNicAndOneLineModelListAreUnderstood()
    {
        var capabilities = ParseData("2.12");

        Assert.True(capabilities.HasNicOption);
        Assert.Equal(24, capabilities.NicModels.Count);
        Assert.Contains(capabilities.NicModels, m => m.Device == "rocker" && m.Description == "Rocker Switch");
        Assert.Equal(["socket", "hubport", "tap", "user", "l2tpv3", "vde", "bridge", "vhost-user"], capabilities.NetdevTypes);
    }

    [Fact]
    public void QemuNineTwosAliasedModelListAndIsaNicAreUnderstood()
    {
        var capabilities = ParseData("9.2");

        Assert.Equal(27, capabilities.NicModels.Count);
        Assert.Contains(capabilities.NicModels, m => m.Device == "ne2k_isa" && m.Bus == "ISA");
        Assert.Contains(capabilities.NicModels, m => m.Device == "igb" && m.Description == "Intel 82576 Gigabit Ethernet Controller");
        Assert.DoesNotContain(capabilities.NicModels, m => m.Device == "pvrdma");
    }

    [Fact]
    public void ATextThatIsNotQemusVersionIsAProbeFailure()
    {
        var error = Assert.Throws<QemuNetException>(() => QemuCapabilities.Parse("bash: qemu: command not found\n", "", "", "", ""));

        Assert.Equal("QemuProbeFailed", error.ErrorId);
        Assert.Equal(QemuNetErrorCategory.InvalidResult, error.Category);
    }

    [Fact]
    public void TheCacheDirectoryFollowsQemunetThenXdgThenHome()
    {
        static string? From(params (string Name, string Value)[] variables) =>
            QemuCapabilities.CacheDirectoryFrom(name => variables.FirstOrDefault(v => v.Name == name).Value);

        Assert.Equal("/srv/cache", From(("QEMUNET_CACHE_DIR", "/srv/cache"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")));
        Assert.Equal("/x/qemunet", From(("XDG_CACHE_HOME", "/x"), ("HOME", "/h")));
        Assert.Equal("/h/.cache/qemunet", From(("XDG_CACHE_HOME", "relative"), ("HOME", "/h")));
        Assert.Null(From());
    }

    [Fact]
    public async Task TheInstalledQemuIsProbedForReal()
    {
        var runner = new CountingRunner();

        var capabilities = await QemuCapabilities.ProbeAsync(runner, InstalledQemu, Path.Combine(_temp, "cache"), CancellationToken.None);

        Assert.Equal(7, capabilities.Version.Major);
        Assert.Equal(2, capabilities.Version.Minor);
        Assert.StartsWith("QEMU emulator version 7.2.", capabilities.VersionText, StringComparison.Ordinal);
        Assert.True(capabilities.HasNicOption);
        Assert.False(capabilities.SupportsVlan);
        Assert.False(capabilities.SupportsNetName);
        Assert.Equal(QemuRunAsOption.RunAs, capabilities.RunAsOption);
        Assert.Contains(capabilities.NicModels, m => m.Device == "virtio-net-pci" && m.Name == "virtio" && m.IsVirtio);
        Assert.Contains(capabilities.NicModels, m => m.Device == "e1000" && m.Bus == "PCI");
        Assert.Contains("hubport", capabilities.NetdevTypes);

        // The binary asked now and the capture kept as test data agree.
        var captured = ParseData("7.2");
        Assert.Equal(Describe(captured.NicModels), Describe(capabilities.NicModels));
        Assert.Equal(captured.NetdevTypes, capabilities.NetdevTypes);
    }

    [Fact]
    public async Task ASecondProbeSpawnsNothingAlsoFromTheDiskCacheAlone()
    {
        var qemu = OwnInstalledQemu();
        var cache = Path.Combine(_temp, "cache");
        var runner = new CountingRunner();

        var first = await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);
        Assert.Equal(ModernProbe, runner.Calls);
        var second = await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);
        QemuCapabilities.ClearMemoryCache();
        var third = await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);

        Assert.Equal(5, runner.Calls.Count);
        Assert.Same(first, second);
        Assert.NotSame(first, third);
        Assert.Equal(first.VersionText, third.VersionText);
        Assert.Equal(Describe(first.NicModels), Describe(third.NicModels));
        Assert.Equal(first.NetdevTypes, third.NetdevTypes);
        var file = Assert.Single(Directory.GetFiles(cache));
        Assert.EndsWith(".json", file, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache));
    }

    [Fact]
    public async Task ABinaryWithANewMtimeIsProbedAgainAndItsCacheRewritten()
    {
        var qemu = OwnInstalledQemu();
        var cache = Path.Combine(_temp, "cache");
        var runner = new CountingRunner();
        await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);

        File.SetLastWriteTimeUtc(qemu, File.GetLastWriteTimeUtc(qemu).AddHours(1));
        await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);
        Assert.Equal(10, runner.Calls.Count);

        QemuCapabilities.ClearMemoryCache();
        await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);
        Assert.Equal(10, runner.Calls.Count);
    }

    [Fact]
    public async Task ATornCacheFileIsIgnoredAndRewritten()
    {
        var qemu = OwnInstalledQemu();
        var cache = Path.Combine(_temp, "cache");
        var runner = new CountingRunner();
        await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);
        var file = Assert.Single(Directory.GetFiles(cache));
        var whole = File.ReadAllText(file);
        File.WriteAllText(file, whole[..(whole.Length / 2)]);

        QemuCapabilities.ClearMemoryCache();
        var probed = await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);

        Assert.Equal(10, runner.Calls.Count);
        Assert.Equal(7, probed.Version.Major);
        using (JsonDocument.Parse(File.ReadAllText(file)))
        {
        }

        QemuCapabilities.ClearMemoryCache();
        await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);
        Assert.Equal(10, runner.Calls.Count);
    }

    [Fact]
    public async Task AnUnwritableCacheDirectoryStillProbes()
    {
        var qemu = OwnInstalledQemu();
        // A file where a parent directory should be stops even root from creating the cache.
        var blocker = Path.Combine(_temp, "not-a-directory");
        File.WriteAllText(blocker, "");
        var cache = Path.Combine(blocker, "cache");
        var runner = new CountingRunner();

        var capabilities = await QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None);

        Assert.Equal(7, capabilities.Version.Major);
        Assert.Equal(5, runner.Calls.Count);
        Assert.False(Directory.Exists(cache));
        Assert.Equal("", File.ReadAllText(blocker));
    }

    [Fact]
    public async Task AnOldBinaryIsAskedThroughNetAndReadFromStderr()
    {
        var qemu = Path.Combine(_temp, "qemu-system-x86_64-2.11");
        File.WriteAllText(qemu, "");
        // 2.11 printed its device and NIC model lists on stderr, with nothing on stdout.
        var runner = new RecordingProcessRunner((_, args) => string.Join(' ', args) switch
        {
            "-version" => new ProcessResult(0, Read("2.11", "version.txt"), ""),
            "-help" => new ProcessResult(0, Read("2.11", "help.txt"), ""),
            "-device help" => new ProcessResult(0, "", Read("2.11", "device-help.txt")),
            "-net nic,model=help" => new ProcessResult(0, "", Read("2.11", "nic-models.txt")),
            var other => new ProcessResult(1, "", $"qemu-system-x86_64: {other}: invalid option"),
        });

        var capabilities = await QemuCapabilities.ProbeAsync(runner, qemu, Path.Combine(_temp, "cache"), CancellationToken.None);

        string[][] asked = [["-version"], ["-help"], ["-device", "help"], ["-net", "nic,model=help"]];
        Assert.Equal(asked, runner.Calls.Select(c => c.Arguments.ToArray()));
        Assert.Equal(new Version(2, 11, 0), capabilities.Version);
        Assert.Equal(8, capabilities.NicModels.Count);
        Assert.Contains(capabilities.NicModels, m => m.Device == "rtl8139" && m.Bus == "PCI");
        Assert.Contains("hubport", capabilities.NetdevTypes);
    }

    [Fact]
    public async Task AFailingCommandIsAProbeFailureNamingTheBinaryAndNothingIsCached()
    {
        var qemu = Path.Combine(_temp, "broken-qemu");
        File.WriteAllText(qemu, "");
        var cache = Path.Combine(_temp, "cache");
        var runner = new RecordingProcessRunner((_, args) => args[0] == "-version"
            ? new ProcessResult(0, Read("7.2", "version.txt"), "")
            : new ProcessResult(1, "", "qemu-system-x86_64: cannot set up guest memory"));

        var error = await Assert.ThrowsAsync<QemuNetException>(() => QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None));

        Assert.Equal("QemuProbeFailed", error.ErrorId);
        Assert.Equal(QemuNetErrorCategory.InvalidResult, error.Category);
        Assert.Equal(qemu, error.Target);
        Assert.Contains("cannot set up guest memory", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cache));
        await Assert.ThrowsAsync<QemuNetException>(() => QemuCapabilities.ProbeAsync(runner, qemu, cache, CancellationToken.None));
        Assert.Equal(4, runner.Calls.Count);
    }

    private string OwnInstalledQemu()
    {
        // Not a copy: Debian's QEMU finds its BIOS and accelerator modules relative to where the binary lies.
        var wrapper = Path.Combine(_temp, "qemu-system-x86_64");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec {InstalledQemu} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return wrapper;
    }

    private static IEnumerable<string> Describe(IEnumerable<QemuNicModel> models) =>
        models.Select(m => $"{m.Name}|{m.Device}|{m.IsVirtio}|{m.Bus}|{m.Description}");

    private static QemuCapabilities ParseData(string folder) =>
        QemuCapabilities.Parse(Read(folder, "version.txt"), Read(folder, "help.txt"), Read(folder, "device-help.txt"),
            Read(folder, "nic-models.txt"), File.Exists(DataPath(folder, "netdev-help.txt")) ? Read(folder, "netdev-help.txt") : "");

    private static string Read(string folder, string file) => File.ReadAllText(DataPath(folder, file));

    // Found next to this source file, as Golden finds the golden files.
    private static string DataPath(string folder, string file, [CallerFilePath] string callerFile = "") =>
        Path.Combine(Path.GetDirectoryName(callerFile)!, "data", "qemu", folder, file);

    /// <summary>The real runner, counting what it spawns.</summary>
    private sealed class CountingRunner : IProcessRunner
    {
        private readonly CliProcessRunner _inner = new();
        private readonly ConcurrentQueue<string[]> _calls = new();

        public IReadOnlyList<string[]> Calls => _calls.ToArray();

        public Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
            string? standardInput = null)
        {
            _calls.Enqueue(arguments.ToArray());
            return _inner.RunAsync(fileName, arguments, cancellationToken, standardInput);
        }
    }
}
