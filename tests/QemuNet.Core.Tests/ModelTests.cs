using QemuNet.Core.Model;

namespace QemuNet.Core.Tests;

public class ModelTests
{
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    private static QemuNetException Fails(Action action) => Assert.Throws<QemuNetException>(action);

    [Theory]
    [InlineData("52:54:00:AA:bb:0C", "52:54:00:aa:bb:0c")]
    [InlineData("52-54-00-aa-bb-0c", "52:54:00:aa:bb:0c")]
    [InlineData(" 02:00:00:00:00:01 ", "02:00:00:00:00:01")]
    public void MacAddressesAreNormalized(string input, string expected) => Assert.Equal(expected, MacAddress.Normalize(input));

    [Theory]
    [InlineData("52:54:00:aa:bb", "NicMacInvalid")]
    [InlineData("52:54:00:aa:bb:cc:dd", "NicMacInvalid")]
    [InlineData("52:54:00:aa:bb:zz", "NicMacInvalid")]
    [InlineData("525400aabbcc", "NicMacInvalid")]
    [InlineData("5:54:00:aa:bb:cc", "NicMacInvalid")]
    [InlineData("00:00:00:00:00:00", "NicMacInvalid")]
    [InlineData("01:00:5e:00:00:01", "NicMacMulticast")]
    [InlineData("ff:ff:ff:ff:ff:ff", "NicMacMulticast")]
    public void BadMacAddressesAreRejected(string input, string errorId)
    {
        var ex = Fails(() => MacAddress.Normalize(input));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(input, ex.Target);
        Assert.Equal(QemuNetErrorCategory.InvalidArgument, ex.Category);
    }

    [Fact]
    public void DerivedMacsAreStableLocalAndDistinct()
    {
        Assert.Equal(MacAddress.Derive("web", 0), MacAddress.Derive("web", 0));
        Assert.StartsWith("52:54:00:", MacAddress.Derive("web", 0), StringComparison.Ordinal);
        var macs = Enumerable.Range(0, 50).Select(i => MacAddress.Derive("web", i))
            .Concat(Enumerable.Range(0, 50).Select(i => MacAddress.Derive("db", i))).ToList();
        Assert.Equal(macs.Count, macs.Distinct().Count());
        Assert.DoesNotContain("52:54:00:12:34:56", macs);
    }

    [Theory]
    [InlineData("5", "05.0")]
    [InlineData("0x05", "05.0")]
    [InlineData("1f.7", "1f.7")]
    [InlineData("0x0a.0x1", "0a.1")]
    public void PciAddressesAreNormalized(string input, string expected) => Assert.Equal(expected, PciAddress.Normalize(input));

    [Theory]
    [InlineData("20")]
    [InlineData("05.8")]
    [InlineData("05.1.2")]
    [InlineData("0x")]
    [InlineData("slot5")]
    [InlineData("")]
    [InlineData("05,multifunction=on")]
    public void BadPciAddressesAreRejected(string input)
    {
        var ex = Fails(() => PciAddress.Normalize(input));
        Assert.Equal("NicPciAddressInvalid", ex.ErrorId);
        Assert.Equal(input, ex.Target);
    }

    [Theory]
    [InlineData("tcp:127.0.0.1:8080-:80", QemuForwardProtocol.Tcp, "127.0.0.1", 8080, null, 80)]
    [InlineData("udp::5353-10.0.2.15:53", QemuForwardProtocol.Udp, "127.0.0.1", 5353, "10.0.2.15", 53)]
    [InlineData(":0.0.0.0:2222-:22", QemuForwardProtocol.Tcp, "0.0.0.0", 2222, null, 22)]
    [InlineData("8080:80", QemuForwardProtocol.Tcp, "127.0.0.1", 8080, null, 80)]
    [InlineData("UDP/69:69", QemuForwardProtocol.Udp, "127.0.0.1", 69, null, 69)]
    public void HostForwardsParse(string text, QemuForwardProtocol protocol, string host, int hostPort, string? guest, int guestPort)
    {
        var forward = QemuHostForward.Parse(text);
        Assert.Equal((protocol, host, hostPort, guest, guestPort),
            (forward.Protocol, forward.HostAddress, forward.HostPort, forward.GuestAddress, forward.GuestPort));
    }

    [Theory]
    [InlineData("tcp:127.0.0.1:0-:80", "UserNetHostPortInvalid")]
    [InlineData("70000:80", "UserNetHostPortInvalid")]
    [InlineData("8080:65536", "UserNetGuestPortInvalid")]
    [InlineData("tcp:localhost:8080-:80", "UserNetHostForwardInvalid")]
    [InlineData("sctp::8080-:80", "UserNetHostForwardInvalid")]
    [InlineData("tcp:127.0.0.1:8080-:80,restrict=off", "UserNetHostForwardInvalid")]
    [InlineData("tcp:999.0.0.1:8080-:80", "UserNetHostAddressInvalid")]
    public void BadHostForwardsAreRejected(string text, string errorId) =>
        Assert.Equal(errorId, Fails(() => QemuHostForward.Parse(text)).ErrorId);

    [Fact]
    public void UserNetRejectsTheSameHostPortTwice()
    {
        var ex = Fails(() => QemuUserNet.Create(null, false, null, null, null, null, null,
            [QemuHostForward.Parse("8080:80"), QemuHostForward.Parse("tcp:0.0.0.0:8080-:81")]));
        Assert.Equal("UserNetHostPortDuplicate", ex.ErrorId);
        Assert.Equal(8080, ex.Target);

        // Same port, other protocol or other host address: fine.
        var ok = QemuUserNet.Create(null, false, null, null, null, null, null,
            [QemuHostForward.Parse("8080:80"), QemuHostForward.Parse("udp/8080:80"), QemuHostForward.Parse("tcp:127.0.0.2:8080-:80")]);
        Assert.Equal(3, ok.HostForward.Count);
    }

    [Theory]
    [InlineData("10.0.2.0/33", null, null, "UserNetSubnetInvalid")]
    [InlineData("10.0.2.1/24", null, null, "UserNetSubnetInvalid")]
    [InlineData("10.0.2.0/29", null, null, "UserNetSubnetInvalid")]
    [InlineData("not-a-net", null, null, "UserNetSubnetInvalid")]
    [InlineData("198.18.0.0/24", "198.18.1.15", null, "UserNetDhcpStartInvalid")]
    [InlineData("198.18.0.0/24", "198.18.0.255", null, "UserNetDhcpStartInvalid")]
    [InlineData("198.18.0.0/24", null, "10.0.2.3", "UserNetDnsInvalid")]
    [InlineData("198.18.0.0/24", "198.18.0.2", null, "UserNetDhcpStartInvalid")]
    [InlineData("198.18.0.0/24", "198.18.0.3", null, "UserNetDhcpStartInvalid")]
    [InlineData("198.18.0.0/24", null, "198.18.0.2", "UserNetDnsInvalid")]
    [InlineData("198.18.0.0/28", null, null, "UserNetDhcpStartInvalid")]
    public void UserNetAddressesAreChecked(string subnet, string? dhcpStart, string? dns, string errorId) =>
        Assert.Equal(errorId, Fails(() => QemuUserNet.Create(null, false, subnet, dhcpStart, dns, null, null, null)).ErrorId);

    [Theory]
    [InlineData("bad_host", "UserNetHostNameInvalid")]
    [InlineData("-lead", "UserNetHostNameInvalid")]
    public void UserNetNamesAreChecked(string hostName, string errorId) =>
        Assert.Equal(errorId, Fails(() => QemuUserNet.Create(null, false, null, null, null, hostName, null, null)).ErrorId);

    [Fact]
    public void UserNetGuestAddressFollowsSubnetAndDhcpStart()
    {
        Assert.Equal("10.0.2.15", QemuUserNet.Create(null, false, null, null, null, null, null, null).GuestAddress);
        Assert.Equal("198.18.0.15", QemuUserNet.Create(null, false, "198.18.0.0/24", null, null, null, null, null).GuestAddress);
        Assert.Equal("198.18.0.50", QemuUserNet.Create(null, false, "198.18.0.0/24", "198.18.0.50", null, null, null, null).GuestAddress);
        var wide = QemuUserNet.Create(null, false, "198.18.0.0/16", null, null, null, null, null);
        Assert.Equal(("198.18.2.15", "198.18.2.2", "198.18.2.3"), (wide.GuestAddress, wide.Gateway, wide.DnsAddress));
        var narrow = QemuUserNet.Create(null, false, "198.51.100.32/27", null, null, null, null, null);
        Assert.Equal(("198.51.100.47", "198.51.100.34"), (narrow.GuestAddress, narrow.Gateway));
    }

    [Fact]
    public void NicRejectsUnknownModelsAndVectorsOnNonVirtio()
    {
        var unknown = Fails(() => QemuNic.Create("e1001", null, null, null, null, null, null, AllKnown));
        Assert.Equal(("NicModelUnknown", (object?)"e1001"), (unknown.ErrorId, unknown.Target));

        var vectors = Fails(() => QemuNic.Create("e1000", null, null, null, 4, null, null, AllKnown));
        Assert.Equal(("NicVectorsNotVirtio", (object?)4), (vectors.ErrorId, vectors.Target));

        Assert.Equal(0, QemuNic.Create("virtio", null, null, null, 0, null, null, AllKnown).Vectors);
        Assert.Equal("NicIdInvalid", Fails(() => QemuNic.Create("virtio", null, "1nic", null, null, null, null, AllKnown)).ErrorId);
        Assert.Equal("NicIdInvalid", Fails(() => QemuNic.Create("virtio", null, "a,b", null, null, null, null, AllKnown)).ErrorId);
    }

    [Fact]
    public void SeedNamesMapToDevices()
    {
        Assert.Equal("virtio-net-pci", QemuNicModels.ToDevice("virtio"));
        Assert.Equal("virtio-net-pci", QemuNic.Create("VIRTIO", null, null, null, null, null, null, AllKnown).Device);
        Assert.Equal("ne2k_pci", QemuNicModels.ToDevice("ne2k_pci"));
        Assert.True(QemuNicModels.IsVirtio("virtio-net-pci-non-transitional"));
        Assert.False(QemuNicModels.IsVirtio("vmxnet3"));
    }

    [Theory]
    [InlineData("192.0.2.010")]
    [InlineData("10.2")]
    [InlineData("0x0a000001")]
    [InlineData("192.0.2.256")]
    [InlineData("192.0.2.1 ")]
    public void Ipv4AddressesMustBeCanonicalDottedQuads(string text) =>
        Assert.False(Ipv4Network.TryParseAddress(text, out _));

    [Fact]
    public void Ipv4AddressesRoundTrip()
    {
        Assert.True(Ipv4Network.TryParseAddress("198.51.100.0", out var address));
        Assert.Equal("198.51.100.0", Ipv4Network.FormatAddress(address));
    }
}
