using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

/// <summary>Command lines, classic and modern, into QemuNet's objects; rendered back in today's syntax (golden).</summary>
public class CommandLineImportTests
{
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    private static QemuCommandLineImport Import(params string[] argv)
    {
        var options = new List<QemuCliOption>();
        for (var i = 0; i < argv.Length; i++)
        {
            var takesValue = argv[i] is not ("-enable-kvm" or "-nographic" or "-snapshot" or "-no-kvm");
            options.Add(new QemuCliOption(argv[i], takesValue ? argv[++i] : null, $"argument {i}"));
        }

        return QemuCommandLineImporter.Import(options, AllKnown, "imported");
    }

    private static string Modern(QemuCommandLineImport import) =>
        string.Join('\n', QemuArgvRenderer.Guest(QemuLaunchPlanner.Resolve(import.Spec), import.Spec.Accelerator, QemuCommandLineSyntax.Modern, null, headless: false)) + "\n";

    [Fact]
    public void SeedBridgeLine()
    {
        var import = Import("-m", "512", "-kernel", "/boot/vmlinuz", "-net", "nic", "-net", "tap,ifname=tap1,script=/etc/qemu-ifup,downscript=no");
        var nic = Assert.Single(import.Spec.Nics);
        Assert.Equal("e1000", nic.Model);
        var tap = Assert.IsType<QemuTapNet>(nic.Backend);
        Assert.Equal(("tap1", "/etc/qemu-ifup", (string?)null, (int?)null), (tap.IfName, tap.Script, tap.DownScript, tap.Hub));
        Assert.Empty(import.NotUnderstood);
    }

    [Fact]
    public void VlansAreHubsAndOneBackendServesTwoNics()
    {
        var import = Import("-net", "nic,vlan=1,macaddr=52:54:00:12:34:56,model=virtio,name=lan,addr=0:5,vectors=0", "-net", "nic,vlan=1,model=rtl8139",
            "-net", "user,vlan=1,name=u1,hostfwd=tcp::8080-:80", "-net", "socket,vlan=1,listen=:5555");
        Assert.Equal(2, import.Spec.Nics.Count);
        Assert.All(import.Spec.Nics, n => Assert.Equal(1, n.Backend!.Hub));
        Assert.Equal(import.Spec.Nics[0].Backend, import.Spec.Nics[1].Backend);
        Assert.Equal(("lan", "05.0", (int?)0), (import.Spec.Nics[0].Id, import.Spec.Nics[0].PciAddress, import.Spec.Nics[0].Vectors));
        Assert.IsType<QemuSocketNet>(Assert.Single(import.Spec.HubBackends));
        Golden.AssertMatches("import/vlans.argv", Modern(import));
    }

    [Fact]
    public void ModernFormsAndHubPorts()
    {
        var import = Import("-netdev", "user,id=u0", "-netdev", "hubport,id=p0,hubid=3,netdev=u0", "-netdev", "hubport,id=p1,hubid=3",
            "-device", "e1000,netdev=p1,mac=52:54:00:00:00:01", "-nic", "user,model=virtio,mac=52:54:00:00:00:02,hostfwd=tcp::2222-:22");
        Golden.AssertMatches("import/modern.argv", Modern(import));
    }

    [Fact]
    public void SeedTapFdIsADescriptorSomeoneElseOpened()
    {
        // fd= makes no TAP and runs no script, so QEMU's default scripts do not apply.
        var tap = Assert.IsType<QemuTapNet>(Assert.Single(Import("-net", "nic", "-net", "tap,fd=5,sndbuf=0,vhost=off").Spec.Nics).Backend);
        Assert.Equal((5, (string?)null, (string?)null, 0L, QemuVhostMode.Off), (tap.Fd!.Value, tap.Script, tap.DownScript, tap.SndBuf!.Value, tap.Vhost));
        Assert.False(tap.ModuleOpens);
        Assert.Contains("tap,id=net0,fd=5,sndbuf=0,vhost=off", Modern(Import("-net", "nic", "-net", "tap,fd=5,sndbuf=0,vhost=off")), StringComparison.Ordinal);
    }

    [Fact]
    public void NotUnderstoodIsReported()
    {
        var import = Import("-net", "nic", "-net", "user,smb=/srv", "-nographic", "-watchdog", "i6300esb");
        Assert.Contains(import.NotUnderstood, s => s.Contains("smb=/srv", StringComparison.Ordinal));
        Assert.Contains(import.NotUnderstood, s => s.Contains("-watchdog", StringComparison.Ordinal));
        Assert.Contains(import.Superseded, s => s.Contains("-nographic", StringComparison.Ordinal));
        // ipv4=on is QEMU's default and carried over; ipv4=off (IPv6-only slirp) is not, and says so.
        Assert.Empty(Import("-net", "nic", "-net", "user,ipv4=on").NotUnderstood);
        Assert.Contains(Import("-net", "nic", "-net", "user,ipv4=off").NotUnderstood, s => s.Contains("ipv4=off", StringComparison.Ordinal));
        // A line without -m meant QEMU's 128 MiB, not QemuNet's 256.
        Assert.Equal(128, Import("-net", "nic", "-net", "user").Spec.MemoryMiB);
        var bare = Import("-device", "e1000,mac=52:54:00:00:00:09");
        Assert.Contains(bare.NotUnderstood, s => s.Contains("without netdev=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CommandLineNetTypeUnknown", "-net", "frobnicate")]
    [InlineData("CommandLineNetTypeUnsupported", "-net", "vde,sock=/tmp/x")]
    [InlineData("CommandLineIdDuplicate", "-netdev", "user,id=a", "-netdev", "user,id=a")]
    [InlineData("CommandLineNetdevUnknown", "-device", "e1000,netdev=nope")]
    [InlineData("CommandLineNetdevShared", "-netdev", "user,id=a", "-device", "e1000,netdev=a", "-device", "e1000,netdev=a")]
    [InlineData("NicMacInvalid", "-net", "nic,macaddr=zz")]
    public void BadLines(string errorId, params string[] argv)
    {
        var ex = Assert.Throws<QemuNetException>(() => Import(argv));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.StartsWith("At argument ", ex.Message, StringComparison.Ordinal);
    }
}
