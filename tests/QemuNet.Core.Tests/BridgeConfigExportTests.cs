using QemuNet.Core.Bridge;

namespace QemuNet.Core.Tests;

public sealed class BridgeConfigExportTests
{
    private static readonly QemuBridge Br0 = new() { Name = "br0", Uplink = "eth0", Stp = true, ForwardDelay = 4 };

    private static readonly BridgeAddressing Static = new(false, ["203.0.113.10/24", "2001:db8:1::10/64"], "203.0.113.1", "2001:db8:1::1");

    [Theory]
    [InlineData(QemuBridgeConfigFormat.Networkd)]
    [InlineData(QemuBridgeConfigFormat.Ifupdown)]
    [InlineData(QemuBridgeConfigFormat.NetworkManager)]
    public void EachFormatStaticAndDhcp(QemuBridgeConfigFormat format)
    {
        foreach (var (kind, addressing) in new[] { ("static", Static), ("dhcp", new BridgeAddressing(true, [], null)) })
        {
            var files = BridgeConfigExport.Render(format, Br0, addressing);
            var text = string.Concat(files.Select(f => $"==> {f.FileName} (mode {f.Mode})\n{f.Text}"));
            Golden.AssertMatches($"bridge-config/{format.ToString().ToLowerInvariant()}-{kind}.txt", text);
        }
    }

    [Fact]
    public void ABridgeWithoutAnUplinkIsRestoresJobNotTheHosts()
    {
        var e = Assert.Throws<QemuNetException>(() => BridgeConfigExport.Render(QemuBridgeConfigFormat.Networkd, new QemuBridge { Name = "br1" }, Static));
        Assert.Equal("BridgeConfigNoUplink", e.ErrorId);
        Assert.Equal("br1", e.Target);
    }

    [Fact]
    public void NetworkManagerKeyfilesArePrivateAndStable()
    {
        var files = BridgeConfigExport.Render(QemuBridgeConfigFormat.NetworkManager, Br0, Static);
        Assert.All(files, f => Assert.Equal("600", f.Mode));
        Assert.Equal(files.Select(f => f.Text), BridgeConfigExport.Render(QemuBridgeConfigFormat.NetworkManager, Br0, Static).Select(f => f.Text));
    }
}
