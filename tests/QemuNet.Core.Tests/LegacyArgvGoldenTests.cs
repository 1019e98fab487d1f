using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

/// <summary>Hubs (the seed's vlan=n) in today's syntax, and whole specs in the seed's -net syntax per QEMU version.</summary>
public class LegacyArgvGoldenTests
{
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    private static QemuNic Nic(string model, QemuNetBackend? backend, string? pci = null, int? vectors = null, string? id = null) =>
        QemuNic.Create(model, null, id, pci, vectors, null, backend, AllKnown);

    private static string Lines(IEnumerable<string> argv) => string.Join('\n', argv) + "\n";

    private static string Guest(QemuLaunchSpec spec, QemuCommandLineSyntax syntax, Version? version = null) =>
        Lines(QemuArgvRenderer.Guest(QemuLaunchPlanner.Resolve(spec), spec.Accelerator, syntax, version, headless: false));

    /// <summary>The seed's bridge line: -net nic -net tap,ifname=tap1,script=/etc/qemu-ifup,downscript=no.</summary>
    private static QemuLaunchSpec SeedBridge => new()
    {
        Name = "seed",
        MemoryMiB = 512,
        Kernel = "/boot/vmlinuz",
        Nics = [Nic("rtl8139", new QemuTapNet { IfName = "tap1", Script = "/etc/qemu-ifup", DownScript = "no" }.Validate())],
    };

    /// <summary>Two NICs sharing one user network on hub 0, a socket on the same hub, and a TAP NIC on a network of its own.</summary>
    private static QemuLaunchSpec Mixed
    {
        get
        {
            var user = QemuUserNet.Create(null, false, null, null, null, null, null, [QemuHostForward.Parse("tcp::8080-:80")], hub: 0);
            return new QemuLaunchSpec
            {
                Name = "mixed",
                Accelerator = QemuAccelerator.Kvm,
                Nics = [Nic("e1000", user, pci: "0x5"), Nic("virtio", user, vectors: 0), Nic("rtl8139", new QemuTapNet { IfName = "tap2", Script = "/etc/qemu-ifup" }.Validate())],
                HubBackends = [QemuSocketNet.Create("peer", QemuSocketMode.Listen, ":5555", null, 0)],
            };
        }
    }

    [Fact]
    public void HubsInTodaysSyntax() => Golden.AssertMatches("legacy/mixed-modern.argv", Guest(Mixed, QemuCommandLineSyntax.Modern));

    [Fact]
    public void HubsAsVlansBeforeQemu3() => Golden.AssertMatches("legacy/mixed-2.12.argv", Guest(Mixed, QemuCommandLineSyntax.Legacy, new Version(2, 12)));

    [Fact]
    public void SeedBridgeLineBeforeQemu3() => Golden.AssertMatches("legacy/seed-bridge-2.12.argv", Guest(SeedBridge, QemuCommandLineSyntax.Legacy, new Version(2, 12)));

    [Fact]
    public void SeedBridgeLineWithoutVlanFromQemu3AndWithoutNameFrom51()
    {
        Golden.AssertMatches("legacy/seed-bridge-4.2.argv", Guest(SeedBridge, QemuCommandLineSyntax.Legacy, new Version(4, 2)));
        Golden.AssertMatches("legacy/seed-bridge-7.2.argv", Guest(SeedBridge with { Accelerator = QemuAccelerator.Tcg }, QemuCommandLineSyntax.Legacy, new Version(7, 2)));
    }

    [Fact]
    public void LegacyWithoutVersionIsTheSeedsEra() =>
        Assert.Equal(Guest(Mixed, QemuCommandLineSyntax.Legacy, new Version(2, 12)), Guest(Mixed, QemuCommandLineSyntax.Legacy));

    [Fact]
    public void SeparateNetworksCannotBeWrittenWithoutVlan()
    {
        var ex = Assert.Throws<QemuNetException>(() => Guest(Mixed, QemuCommandLineSyntax.Legacy, new Version(4, 2)));
        Assert.Equal("CommandLineLegacyNeedsVlan", ex.ErrorId);
    }

    [Fact]
    public void LegacyDropsFunctionZeroAndRefusesAnotherFunction()
    {
        var spec = new QemuLaunchSpec { Name = "pci", Nics = [Nic("e1000", null, pci: "0x1a.0")] };
        Assert.Contains("nic,vlan=0,macaddr=", Guest(spec, QemuCommandLineSyntax.Legacy), StringComparison.Ordinal);
        Assert.Contains(",addr=1a\n", Guest(spec, QemuCommandLineSyntax.Legacy), StringComparison.Ordinal);
        var ex = Assert.Throws<QemuNetException>(() => Guest(spec with { Nics = [Nic("e1000", null, pci: "05.3")] }, QemuCommandLineSyntax.Legacy));
        Assert.Equal("CommandLineLegacyUnsupported", ex.ErrorId);
        Assert.Equal("05.3", ex.Target);
    }

    [Fact]
    public void LegacyRefusesWhatMinusNetNicCannotSay()
    {
        var boot = new QemuLaunchSpec { Name = "boot", Nics = [QemuNic.Create("e1000", null, null, null, null, 1, null, AllKnown)] };
        Assert.Equal("CommandLineLegacyUnsupported", Assert.Throws<QemuNetException>(() => Guest(boot, QemuCommandLineSyntax.Legacy)).ErrorId);
        var multiqueue = new QemuLaunchSpec { Name = "mq", Nics = [Nic("virtio", new QemuTapNet { IfName = "tapq", Script = "/etc/qemu-ifup", Queues = 2 }.Validate())] };
        Assert.Equal("CommandLineLegacyUnsupported", Assert.Throws<QemuNetException>(() => Guest(multiqueue, QemuCommandLineSyntax.Legacy)).ErrorId);
    }

    [Theory]
    [InlineData("2.12", QemuCommandLineSyntax.Modern)]
    [InlineData("7.2", QemuCommandLineSyntax.Modern)]
    [InlineData("1.1", QemuCommandLineSyntax.Legacy)]
    public void AutoPicksModernWhereverHubPortsExist(string version, QemuCommandLineSyntax expected) =>
        Assert.Equal(expected, QemuArgvRenderer.ChooseSyntax(QemuCommandLineSyntax.Auto, Version.Parse(version)));

    [Fact]
    public void SharedHubBackendIsOneBackendAfterSavingAsJson()
    {
        var user = QemuUserNet.Create(null, false, null, null, null, null, null, [QemuHostForward.Parse("8080:80")], hub: 1);
        var spec = new QemuLaunchSpec { Name = "saved", Nics = [Nic("e1000", user), Nic("virtio", user)] };
        var json = System.Text.Json.JsonSerializer.Serialize(spec);
        var loaded = System.Text.Json.JsonSerializer.Deserialize<QemuLaunchSpec>(json)!;
        Assert.NotSame(loaded.Nics[0].Backend, loaded.Nics[1].Backend);
        Assert.Equal(Guest(spec, QemuCommandLineSyntax.Modern), Guest(loaded, QemuCommandLineSyntax.Modern));
        Assert.Single(QemuLaunchPlanner.Resolve(loaded).Backends());
    }

    [Fact]
    public void TwoDifferentHubBackendsWithOneIdAreRefused()
    {
        var a = QemuUserNet.Create("same", false, null, null, null, null, null, [], hub: 0);
        var b = QemuUserNet.Create("same", true, null, null, null, null, null, [], hub: 0);
        var ex = Assert.Throws<QemuNetException>(() => QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "ids", Nics = [Nic("e1000", a), Nic("e1000", b)] }));
        Assert.Equal("NetdevIdDuplicate", ex.ErrorId);
    }

    [Fact]
    public void OneBackendOffAHubStillServesOneNicOnly()
    {
        var user = QemuUserNet.Create(null, false, null, null, null, null, null, []);
        var ex = Assert.Throws<QemuNetException>(() => QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "shared", Nics = [Nic("e1000", user), Nic("e1000", user)] }));
        Assert.Equal("NicBackendShared", ex.ErrorId);
        Assert.Contains("-Hub", ex.RecommendedAction, StringComparison.Ordinal);
    }
}
