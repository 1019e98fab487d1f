using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

public class ArgvGoldenTests
{
    private static readonly QemuVmPaths Paths = new("/run/qemunet", "guest");
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    private static string Render(QemuLaunchSpec spec, QemuAccelerator accelerator = QemuAccelerator.Tcg) =>
        string.Join('\n', QemuArgvRenderer.Render(QemuLaunchPlanner.Resolve(spec), accelerator, Paths with { Name = spec.Name })) + "\n";

    private static QemuNic Nic(string model, QemuNetBackend? backend = null, string? mac = null) =>
        QemuNic.Create(model, mac, null, null, null, null, backend, AllKnown);

    [Fact]
    public void NoNicGetsOneVirtioNicOnUserModeNetworking() =>
        Golden.AssertMatches("argv/no-nic.argv", Render(new QemuLaunchSpec { Name = "guest" }));

    [Fact]
    public void NoNetworkRendersNicNone() =>
        Golden.AssertMatches("argv/no-network.argv", Render(new QemuLaunchSpec { Name = "guest", NoNetwork = true }, QemuAccelerator.Kvm));

    [Theory]
    [InlineData("virtio")]
    [InlineData("e1000")]
    [InlineData("rtl8139")]
    [InlineData("ne2k_pci")]
    [InlineData("pcnet")]
    [InlineData("i82551")]
    [InlineData("i82557b")]
    [InlineData("i82559er")]
    public void EachSeedModel(string model) =>
        Golden.AssertMatches($"argv/model-{model}.argv", Render(new QemuLaunchSpec { Name = "guest", Nics = [Nic(model)] }));

    [Fact]
    public void TwoNicsOnTwoUserNetworksWithForwards()
    {
        var web = QemuUserNet.Create(null, false, null, null, null, null, null,
            [QemuHostForward.Parse("tcp:127.0.0.1:8080-:80"), QemuHostForward.Parse("udp/5353:53")]);
        var admin = QemuUserNet.Create("admin", true, "198.18.0.0/24", null, null, null, null,
            [QemuHostForward.Parse("tcp::2222-198.18.0.15:22")]);
        var spec = new QemuLaunchSpec { Name = "two", Nics = [Nic("virtio", web), Nic("e1000", admin)] };
        Golden.AssertMatches("argv/two-user-nets.argv", Render(spec));
    }

    [Fact]
    public void AllOptionsAtOnce()
    {
        var user = QemuUserNet.Create("lan", true, "198.51.100.0/24", "198.51.100.20", "198.51.100.3", "web01", "example.test",
            [QemuHostForward.Create(QemuForwardProtocol.Tcp, "0.0.0.0", 8443, "198.51.100.20", 443)]);
        var nic = QemuNic.Create("virtio", "52:54:00:0A:0B:0C", "frontend", "0x5", 0, 2, user, AllKnown);
        var spec = new QemuLaunchSpec
        {
            Name = "everything",
            MemoryMiB = 1024,
            CpuCount = 2,
            Disk = ["/var/lib/images/root,disk.qcow2", "/var/lib/images/data.img"],
            Kernel = "/boot/vmlinuz",
            Initrd = "/boot/initrd.img",
            Append = "console=ttyS0 root=/dev/vda1",
            Nics = [nic, Nic("rtl8139")],
        };
        Golden.AssertMatches("argv/all-options.argv", Render(spec, QemuAccelerator.Kvm));
    }
}
