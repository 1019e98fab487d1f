using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

/// <summary>Golden argv for every -net tap option of the seed, multiqueue and the hub (vlan=n); plus the checks QEMU would do.</summary>
public class TapArgvGoldenTests
{
    private static readonly QemuVmPaths Paths = new("/run/qemunet", "guest");
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    private static string Render(params QemuNic[] nics) =>
        string.Join('\n', QemuArgvRenderer.Render(QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "guest", Nics = nics }), QemuAccelerator.Tcg, Paths)) + "\n";

    private static QemuNic Nic(QemuTapNet tap, string model = "virtio") => QemuNic.Create(model, null, null, null, null, null, tap.Validate(), AllKnown);

    [Fact]
    public void BridgeWithDerivedNameAndNoScripts() =>
        Golden.AssertMatches("argv/tap-bridge.argv", Render(Nic(new QemuTapNet { Bridge = "br0" })));

    [Fact]
    public void NamedTapWithScriptsSndBufVnetHdrVhostAndNetdevId() =>
        Golden.AssertMatches("argv/tap-script.argv", Render(Nic(new QemuTapNet
        {
            Id = "lan",
            IfName = "tap1",
            Script = "/etc/qemu-ifup",
            DownScript = "/etc/qemu ifdown,v2",
            SndBuf = 1048576,
            VnetHdr = true,
            Vhost = QemuVhostMode.Off,
        }, "e1000")));

    [Fact]
    public void Helper() =>
        Golden.AssertMatches("argv/tap-helper.argv", Render(Nic(new QemuTapNet { Bridge = "br0", Helper = "/usr/lib/qemu/qemu-bridge-helper", Vhost = QemuVhostMode.On })));

    [Fact]
    public void Fd() =>
        Golden.AssertMatches("argv/tap-fd.argv", Render(Nic(new QemuTapNet { Fd = 5, SndBuf = 0 })));

    [Fact]
    public void MultiqueueGivesTheNicMqAndTwoVectorsPerQueuePairPlusTwo() =>
        Golden.AssertMatches("argv/tap-multiqueue.argv", Render(Nic(new QemuTapNet { Bridge = "br0", Queues = 4, Vhost = QemuVhostMode.On })));

    [Fact]
    public void HubPutsTapAndNicOnTheSameHub() =>
        Golden.AssertMatches("argv/tap-hub.argv", Render(Nic(new QemuTapNet { IfName = "tap0", Hub = 0 }, "rtl8139"), Nic(new QemuTapNet { IfName = "tap1", Hub = 1 })));

    [Fact]
    public void TapTheModuleOpensIsHandedOverAsFdsWithVhostFds()
    {
        // The module opens the TAP on -Bridge and hands QEMU its queues at 20 and 21, /dev/vhost-net at 22 and 23.
        Golden.AssertMatches("argv/tap-fd-opened.argv", Render(
            Nic(new QemuTapNet { Bridge = "br0", Fd = 20, Queues = 2, Vhost = QemuVhostMode.On }.Validate()),
            Nic(new QemuTapNet { Bridge = "br0", Fd = 30, Vhost = QemuVhostMode.On, SndBuf = 0 }.Validate()),
            Nic(new QemuTapNet { Bridge = "br0", Fd = 40, Vhost = QemuVhostMode.Off }.Validate())));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(999)]
    public void AnOpenedTapNeedsADescriptorNumberPastStandardOutputAndBelowTheLimit(int fd)
    {
        var ex = Assert.Throws<QemuNetException>(() => new QemuTapNet { Bridge = "br0", Fd = fd, Queues = 2 }.Validate());
        Assert.Equal("TapFdInvalid", ex.ErrorId);
    }

    [Theory]
    [InlineData("IfName", "TapFdConflict")]
    [InlineData("Script", "TapFdConflict")]
    [InlineData("DownScript", "TapFdConflict")]
    [InlineData("Helper", "TapFdConflict")]
    [InlineData("VnetHdr", "TapFdConflict")]
    [InlineData("Queues", "TapFdConflict")]
    public void FdExcludesTheSeedsOptions(string option, string errorId)
    {
        var tap = option switch
        {
            "IfName" => new QemuTapNet { Fd = 3, IfName = "tap0" },
            "Script" => new QemuTapNet { Fd = 3, Script = "/etc/qemu-ifup" },
            "DownScript" => new QemuTapNet { Fd = 3, DownScript = "/etc/qemu-ifdown" },
            "Helper" => new QemuTapNet { Fd = 3, Helper = "/usr/lib/qemu/qemu-bridge-helper" },
            "VnetHdr" => new QemuTapNet { Fd = 3, VnetHdr = false },
            _ => new QemuTapNet { Fd = 3, Queues = 2 },
        };
        var ex = Assert.Throws<QemuNetException>(() => tap.Validate());
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(3, ex.Target);
        Assert.Contains("-" + option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HelperExcludesNamesScriptsAndQueues()
    {
        var ex = Assert.Throws<QemuNetException>(() => new QemuTapNet { Helper = "/h", IfName = "tap0", Queues = 2 }.Validate());
        Assert.Equal("TapHelperConflict", ex.ErrorId);
        Assert.Contains("-IfName, -Queues", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tap-name-too-long")]
    [InlineData("tap/0")]
    [InlineData("tap:0")]
    [InlineData("tap 0")]
    [InlineData("$(reboot)")]
    [InlineData("..")]
    public void BadTapNames(string name) =>
        Assert.Equal("TapIfNameInvalid", Assert.Throws<QemuNetException>(() => new QemuTapNet { IfName = name }.Validate()).ErrorId);

    [Fact]
    public void QueuesNeedVirtio()
    {
        var nic = QemuNic.Create("e1000", null, null, null, null, null, new QemuTapNet { Bridge = "br0", Queues = 2 }.Validate(), AllKnown);
        var ex = Assert.Throws<QemuNetException>(() => QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "g", Nics = [nic] }));
        Assert.Equal("TapQueuesNotVirtio", ex.ErrorId);
    }

    [Fact]
    public void ModuleAttachesOnlyPlainBridgeTaps()
    {
        Assert.True(new QemuTapNet { Bridge = "br0" }.ModuleAttaches);
        Assert.False(new QemuTapNet { Bridge = "br0", Helper = "/h" }.ModuleAttaches);
        Assert.False(new QemuTapNet { Script = "/s" }.ModuleAttaches);
        Assert.False(new QemuTapNet { IfName = "tap0" }.ModuleAttaches);
    }
}
