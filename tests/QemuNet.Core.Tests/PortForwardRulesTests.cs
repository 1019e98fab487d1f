using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;

namespace QemuNet.Core.Tests;

/// <summary>What a port forward may not take: the rules on their own, and /proc/net's addresses read right.</summary>
public class PortForwardRulesTests
{
    [Theory]
    [InlineData("0100007F", "127.0.0.1")]
    [InlineData("00000000", "0.0.0.0")]
    [InlineData("0A7100CB", "203.0.113.10")]
    [InlineData("00000000000000000000000000000000", "::")]
    [InlineData("00000000000000000000000001000000", "::1")]
    [InlineData("0000000000000000FFFF00000100007F", "127.0.0.1")]
    [InlineData("B80D0120000000000000000002000000", "2001:db8::2")]
    public void ProcNetAddresses(string hex, string address) => Assert.Equal(address, HostSockets.ParseAddress(hex));

    [Theory]
    [InlineData("127.0.0.1", "NatForwardHostAddressLoopback")]
    [InlineData("127.1.2.3", "NatForwardHostAddressLoopback")]
    [InlineData("0.0.0.0", "NatForwardHostAddressNotUnicast")]
    [InlineData("255.255.255.255", "NatForwardHostAddressNotUnicast")]
    [InlineData("224.0.0.1", "NatForwardHostAddressNotUnicast")]
    [InlineData("host;reboot", "NatForwardHostAddressInvalid")]
    public void HostAddressesAForwardCannotUse(string address, string errorId)
    {
        var ex = Assert.Throws<QemuNetException>(() => PortForwardRules.CheckHostAddress(address));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(address, ex.Target);
    }

    [Fact]
    public void AHostAddressOfTheHostIsFine() => PortForwardRules.CheckHostAddress("203.0.113.1");

    [Theory]
    [InlineData(QemuForwardProtocol.Udp, 53, true)]
    [InlineData(QemuForwardProtocol.Tcp, 53, true)]
    [InlineData(QemuForwardProtocol.Udp, 67, true)]
    [InlineData(QemuForwardProtocol.Tcp, 67, false)]
    [InlineData(QemuForwardProtocol.Tcp, 80, false)]
    public void GuestServicesWithoutAHostAddress(QemuForwardProtocol protocol, int port, bool refused)
    {
        var ex = Record.Exception(() => PortForwardRules.CheckGuestServices("lab", protocol, null, port));
        Assert.Equal(refused, ex is QemuNetException { ErrorId: "NatForwardHijacksGuestService" });
        PortForwardRules.CheckGuestServices("lab", protocol, "203.0.113.1", port);
    }

    [Theory]
    [InlineData("127.0.0.1", null, false)]
    [InlineData("::1", null, false)]
    [InlineData("0.0.0.0", null, true)]
    [InlineData("::", null, true)]
    [InlineData("203.0.113.1", null, true)]
    [InlineData("0.0.0.0", "203.0.113.1", true)]
    [InlineData("203.0.113.1", "203.0.113.1", true)]
    [InlineData("203.0.113.2", "203.0.113.1", false)]
    [InlineData("127.0.0.1", "203.0.113.1", false)]
    public void ListenersOnAddressesTheForwardWouldMatch(string listening, string? hostAddress, bool refused)
    {
        var ex = Record.Exception(() => PortForwardRules.CheckListeners(QemuForwardProtocol.Tcp, hostAddress, 8080, [new BoundSocket("tcp", 8080, listening)], string.Empty));
        Assert.Equal(refused, ex is QemuNetException { ErrorId: "NatForwardHostPortListening" });
        PortForwardRules.CheckListeners(QemuForwardProtocol.Udp, hostAddress, 8080, [new BoundSocket("tcp", 8080, listening)], string.Empty);
    }

    [Fact]
    public void APortAnotherNetworkOrGuestForwards()
    {
        var other = new QemuNatNetwork
        {
            Name = "lab2",
            BridgeName = "qn-lab2",
            Subnet = "198.18.0.0/24",
            Gateway = "198.18.0.1",
            PortForwards = [new QemuPortForward { Protocol = QemuForwardProtocol.Tcp, HostAddress = "203.0.113.1", HostPort = 8090, GuestAddress = "198.18.0.9", GuestPort = 80 }],
        };
        var ex = Assert.Throws<QemuNetException>(() => PortForwardRules.CheckTaken("lab", QemuForwardProtocol.Tcp, null, 8090, [other], []));
        Assert.Equal("NatForwardHostPortTaken", ex.ErrorId);
        PortForwardRules.CheckTaken("lab", QemuForwardProtocol.Tcp, "203.0.113.5", 8090, [other], []);
        PortForwardRules.CheckTaken("lab", QemuForwardProtocol.Udp, null, 8090, [other], []);
        PortForwardRules.CheckTaken("lab2", QemuForwardProtocol.Tcp, null, 8090, [other], []);
        var vm = QemuHostForward.From("tcp:127.0.0.1:18600-:80", null);
        ex = Assert.Throws<QemuNetException>(() => PortForwardRules.CheckTaken("lab", QemuForwardProtocol.Tcp, null, 18600, [], [("web", vm)]));
        Assert.Contains("'web'", ex.Message, StringComparison.Ordinal);
    }
}
