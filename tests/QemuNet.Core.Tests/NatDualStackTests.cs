using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;

namespace QemuNet.Core.Tests;

/// <summary>Dual stack, static routes and DNS of NAT networks: golden plans, rulesets and dnsmasq text, and bad input.</summary>
public sealed class NatDualStackTests
{
    private static readonly NatPaths Paths = new("/run/qemunet/nat/4026532000-7", "/run/qemunet-dnsmasq/4026532000-7", "lab");

    private const string Prefix = "fd42:1:2:3::/64";

    private static QemuNatNetwork Net(QemuNetworkMode mode = QemuNetworkMode.Nat, string? subnet6 = Prefix, string? uplink = null, int? mtu = null,
        bool dhcp = true, bool dns = true, string[]? routes = null, string[]? forwarders = null) =>
        QemuNatNetwork.Create("lab", "192.0.2.0/24", null, uplink, null, null, dhcp, dns, null, null, mode, mtu, subnet6, routes, forwarders);

    private static string Render(IEnumerable<HostStep> steps) => string.Concat(steps.Select(s => s.Describe() + "\n"));

    private static string PlanFresh(QemuNatNetwork net) => Render(NatPlanner.PlanEnable(net, NatObservation.Empty, Paths));

    private static QemuNetException Fails(Func<object> f) => Assert.Throws<QemuNetException>(() => f());

    [Theory]
    [InlineData(QemuNetworkMode.Nat, null)]
    [InlineData(QemuNetworkMode.Nat, "eth0")]
    [InlineData(QemuNetworkMode.Routed, null)]
    [InlineData(QemuNetworkMode.Routed, "eth0")]
    [InlineData(QemuNetworkMode.Isolated, null)]
    public void EachModeDualStack(QemuNetworkMode mode, string? uplink)
    {
        // The plan holds the bridge's IPv6 address, the IPv6 forwarding sysctl (not for isolated), the ruleset and dnsmasq's text.
        var net = Net(mode, uplink: uplink);
        var name = $"nat/{mode.ToString().ToLowerInvariant()}{(uplink is null ? string.Empty : "-uplink")}-v6";
        Golden.AssertMatches(name + ".plan", PlanFresh(net));
        Golden.AssertMatches(name + ".nft", NftRuleset.Render(net));
        Golden.AssertMatches(name + ".dnsmasq.conf", DnsmasqConfig.Render(net, Paths));
    }

    [Theory]
    [InlineData(QemuNetworkMode.Nat)]
    [InlineData(QemuNetworkMode.Routed)]
    [InlineData(QemuNetworkMode.Isolated)]
    public void EachModeIpv4OnlyDnsmasq(QemuNetworkMode mode) =>
        Golden.AssertMatches($"nat/{mode.ToString().ToLowerInvariant()}.dnsmasq.conf", DnsmasqConfig.Render(Net(mode, subnet6: null), Paths));

    [Fact]
    public void AnIpv4OnlyNetworkKeepsItsIpv4OnlyRules()
    {
        var net = Net(subnet6: null);
        Assert.DoesNotContain("ip6", NftRuleset.Render(net), StringComparison.Ordinal);
        Assert.DoesNotContain("icmpx", NftRuleset.Render(net), StringComparison.Ordinal);
        Assert.DoesNotContain(NatPlanner.PlanEnable(net, NatObservation.Empty, Paths), s => s.Target == NatPlanner.Ipv6ForwardKey);
    }

    [Fact]
    public void MtuGoesIntoRouterAdvertisementsAndIpv6NeedsAtLeast1280()
    {
        Assert.Contains("ra-param=qn-lab,mtu:1400,0\n", DnsmasqConfig.Render(Net(mtu: 1400), Paths), StringComparison.Ordinal);
        Assert.Equal(1279, Net(subnet6: null, mtu: 1279).Mtu);
        var e = Fails(() => Net(mtu: 1279));
        Assert.Equal("NatMtuInvalid", e.ErrorId);
        Assert.Equal(1279, e.Target);
    }

    [Fact]
    public void WithoutDhcpOnlyRouterAdvertisements()
    {
        var conf = DnsmasqConfig.Render(Net(dhcp: false), Paths);
        Assert.Contains("dhcp-range=fd42:1:2:3::,ra-only,64\n", conf, StringComparison.Ordinal);
        Assert.DoesNotContain("dhcp-range=192", conf, StringComparison.Ordinal);
        // dnsmasq still runs for the advertisements even with DNS off too.
        Assert.Contains(NatPlanner.PlanEnable(Net(dhcp: false, dns: false), NatObservation.Empty, Paths), s => s.Action.StartsWith("Start dnsmasq", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("fd42:1:2:3::/48", "/48")]
    [InlineData("fd42:1:2:3::/96", "/96")]
    [InlineData("fe80::/64", "link-local")]
    [InlineData("ff02::/64", "multicast")]
    [InlineData("::/64", "unspecified")]
    [InlineData("fd42:1:2:3::1/64", "host bits")]
    [InlineData("fd42:1:2:3::", "not an IPv6 prefix")]
    [InlineData("192.0.2.0/24", "not an IPv6 prefix")]
    [InlineData("fd42::%eth0/64", "not an IPv6 prefix")]
    public void BadPrefixesAreRefused(string prefix, string why)
    {
        var e = Fails(() => Net(subnet6: prefix));
        Assert.Equal("NatSubnet6Invalid", e.ErrorId);
        Assert.Equal(QemuNetErrorCategory.InvalidArgument, e.Category);
        Assert.Equal(prefix, e.Target);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDerivedPrefixIsUniqueLocalStableAndDiffersByNameAndHost()
    {
        var a = Ipv6Prefix.DeriveUniqueLocal("default", "0123456789abcdef0123456789abcdef");
        Assert.Equal(a, Ipv6Prefix.DeriveUniqueLocal("default", "0123456789abcdef0123456789abcdef\n"));
        Assert.NotEqual(a, Ipv6Prefix.DeriveUniqueLocal("default", "fedcba9876543210fedcba9876543210"));
        Assert.NotEqual(a, Ipv6Prefix.DeriveUniqueLocal("lab", "0123456789abcdef0123456789abcdef"));
        Assert.StartsWith("fd", a.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("::/64", a.ToString(), StringComparison.Ordinal);
        // What it derives passes the same checks as a prefix given by hand.
        Assert.Equal(a, Ipv6Prefix.Parse(a.ToString(), "X"));
    }

    [Fact]
    public void Ipv6ForwardsReservationsAndRecords()
    {
        var net = NatChanges.AddReservation(Net() with { DomainName = null }, "52:54:00:00:00:10", "192.0.2.10", "web", "fd42:1:2:3::10");
        net = NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 8080, "fd42:1:2:3:5054:ff:fe00:10", 80);
        net = NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 8080, "192.0.2.10", 80);
        net = NatChanges.AddPortForward(net, QemuForwardProtocol.Udp, "2001:DB8::1", 5353, "fd42:1:2:3::10", 53);
        net = NatChanges.AddDnsRecord(net, "Files.Lab", "198.51.100.20");
        net = NatChanges.AddDnsRecord(net, "files.lab", "FD42:1:2:3:0::20");
        Assert.Equal("2001:db8::1", net.PortForwards[^1].HostAddress);
        Assert.Equal("udp [2001:db8::1]:5353 -> [fd42:1:2:3::10]:53", net.PortForwards[^1].ToString());
        Golden.AssertMatches("nat/v6-forwards.nft", NftRuleset.Render(net));
        Golden.AssertMatches("nat/v6-reservation.dhcp-hosts", DnsmasqConfig.RenderHosts(net));
        Golden.AssertMatches("nat/v6-records.hosts", DnsmasqConfig.RenderAddnHosts(net));
        Assert.Equal("AAAA", net.DnsRecords[1].Type);

        // Saved and loaded again, it is the same network.
        var loaded = NatChanges.Validate(System.Text.Json.JsonSerializer.Deserialize<QemuNatNetwork>(NatPlanner.Serialize(net), NatPlanner.Json)!);
        Assert.Equal(NatPlanner.Serialize(net), NatPlanner.Serialize(loaded));
    }

    [Fact]
    public void BadIpv6ForwardsAndReservations()
    {
        var net = Net();
        Assert.Equal("NatForwardGuestInvalid", Fails(() => NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 80, "fd42:9::10", 80)).ErrorId);
        Assert.Equal("NatForwardGuestInvalid", Fails(() => NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 80, "fd42:1:2:3::1", 80)).ErrorId);
        Assert.Equal("NatForwardGuestInvalid", Fails(() => NatChanges.AddPortForward(Net(subnet6: null), QemuForwardProtocol.Tcp, null, 80, "fd42:1:2:3::10", 80)).ErrorId);
        Assert.Equal("NatForwardHostAddressInvalid", Fails(() => NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, "203.0.113.1", 80, "fd42:1:2:3::10", 80)).ErrorId);
        Assert.Equal("NatReservationAddressInvalid", Fails(() => NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", null, "fd42:9::10")).ErrorId);
        Assert.Equal("NatReservationAddressInvalid", Fails(() => NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", null, "fd42:1:2:3::1")).ErrorId);
        Assert.Equal("NatReservationAddressInvalid", Fails(() => NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", null, "not-an-address")).ErrorId);
        Assert.Equal("NatReservationIpv6WithoutSubnet6", Fails(() => NatChanges.AddReservation(Net(subnet6: null), "52:54:00:00:00:10", "192.0.2.10", null, "fd42:1:2:3::10")).ErrorId);
        var reserved = NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", null, "fd42:1:2:3::10");
        Assert.Equal("NatReservationExists", Fails(() => NatChanges.AddReservation(reserved, "52:54:00:00:00:11", "192.0.2.11", null, "fd42:1:2:3::10")).ErrorId);
        // The same port for IPv4 and IPv6 is two forwards, not a clash.
        var both = NatChanges.AddPortForward(NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 80, "192.0.2.10", 80), QemuForwardProtocol.Tcp, null, 80, "fd42:1:2:3::10", 80);
        Assert.Equal(2, both.PortForwards.Count);
        Assert.Equal("NatForwardExists", Fails(() => NatChanges.AddPortForward(both, QemuForwardProtocol.Tcp, null, 80, "fd42:1:2:3::11", 80)).ErrorId);
    }

    [Fact]
    public void Ipv6ForwardsAreCheckedInTheirOwnFamily()
    {
        Assert.Equal("NatForwardHostAddressLoopback", Fails(() => { PortForwardRules.CheckHostAddress("::1"); return 0; }).ErrorId);
        Assert.Equal("NatForwardHostAddressNotUnicast", Fails(() => { PortForwardRules.CheckHostAddress("ff02::1"); return 0; }).ErrorId);
        Assert.Equal("NatForwardHostAddressNotUnicast", Fails(() => { PortForwardRules.CheckHostAddress("::"); return 0; }).ErrorId);
        PortForwardRules.CheckHostAddress("2001:db8:1::1");

        // A program on one IPv4 address does not see an IPv6 forward's traffic; one on :: does.
        PortForwardRules.CheckListeners(QemuForwardProtocol.Tcp, null, 8080, [new BoundSocket("tcp", 8080, "203.0.113.1")], "", ipv6: true);
        Assert.Equal("NatForwardHostPortListening", Fails(() =>
        {
            PortForwardRules.CheckListeners(QemuForwardProtocol.Tcp, null, 8080, [new BoundSocket("tcp", 8080, "::")], "", ipv6: true);
            return 0;
        }).ErrorId);

        // Another network's IPv4 forward of the port is no clash for an IPv6 one, and user-mode guests listen on IPv4 only.
        var other = NatChanges.AddPortForward(Net(subnet6: "fd42:9::/64") with { Name = "other" }, QemuForwardProtocol.Tcp, null, 8080, "192.0.2.10", 80);
        PortForwardRules.CheckTaken("lab", QemuForwardProtocol.Tcp, null, 8080, [other], [("vm", QemuHostForward.Parse("tcp::8080-:80"))], ipv6: true);
        Assert.Equal("NatForwardHostPortTaken", Fails(() =>
        {
            PortForwardRules.CheckTaken("lab", QemuForwardProtocol.Tcp, null, 8080, [other], [], ipv6: false);
            return 0;
        }).ErrorId);
    }

    [Fact]
    public void RoutesGoToDhcpAndARoutedHostInstallsThem()
    {
        var nat = Net(subnet6: null, routes: ["203.0.113.0/25 via 192.0.2.7", "198.51.100.0/24 via 192.0.2.8"]);
        Assert.Contains("dhcp-option-force=option:classless-static-route,0.0.0.0/0,192.0.2.1,203.0.113.0/25,192.0.2.7,198.51.100.0/24,192.0.2.8\n",
            DnsmasqConfig.Render(nat, Paths), StringComparison.Ordinal);
        Assert.DoesNotContain("route add", PlanFresh(nat), StringComparison.Ordinal);
        var routed = Net(QemuNetworkMode.Routed, subnet6: null, routes: ["203.0.113.0/25 via 192.0.2.7"]);
        Golden.AssertMatches("nat/routed-routes.plan", PlanFresh(routed));
        // Present already: nothing to add; Disable's undo of the bridge puts it back.
        var o = NatObservation.Empty with { BridgeRoutes = new HashSet<string> { "203.0.113.0/25 via 192.0.2.7" } };
        Assert.DoesNotContain("route add", Render(NatPlanner.PlanEnable(routed, o, Paths)), StringComparison.Ordinal);
        // An isolated network has no default route to give.
        Assert.Contains("classless-static-route,203.0.113.0/25,192.0.2.7\n",
            DnsmasqConfig.Render(Net(QemuNetworkMode.Isolated, subnet6: null, routes: ["203.0.113.0/25 via 192.0.2.7"]), Paths), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("203.0.113.0/24", "not a route")]
    [InlineData("203.0.113.0/24 192.0.2.7", "not a route")]
    [InlineData("203.0.113.0 via 192.0.2.7", "not a route")]
    [InlineData("203.0.113.1/24 via 192.0.2.7", "host bits")]
    [InlineData("0.0.0.0/0 via 192.0.2.7", "default route")]
    [InlineData("127.0.0.0/8 via 192.0.2.7", "special-purpose")]
    [InlineData("224.0.0.0/4 via 192.0.2.7", "special-purpose")]
    [InlineData("169.254.0.0/16 via 192.0.2.7", "special-purpose")]
    [InlineData("192.0.2.128/25 via 192.0.2.7", "overlaps the network's own subnet")]
    [InlineData("203.0.113.0/24 via 198.51.100.7", "not a guest address")]
    [InlineData("203.0.113.0/24 via 192.0.2.1", "not a guest address")]
    [InlineData("203.0.113.0/24 via 192.0.2.255", "not a guest address")]
    public void BadRoutesAreRefused(string route, string why)
    {
        var e = Fails(() => Net(subnet6: null, routes: [route]));
        Assert.Equal("NatRouteInvalid", e.ErrorId);
        Assert.Equal(route, e.Target);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Equal("NatRouteExists", Fails(() => Net(subnet6: null, routes: ["203.0.113.0/24 via 192.0.2.7", "203.0.113.128/25 via 192.0.2.8"])).ErrorId);
    }

    [Fact]
    public void DnsForwardersAndRecords()
    {
        var net = Net(subnet6: null, forwarders: ["198.51.100.53", "2001:DB8::53"]);
        Assert.Equal(["198.51.100.53", "2001:db8::53"], net.DnsForwarders);
        Assert.Contains("no-resolv\nserver=198.51.100.53\nserver=2001:db8::53\n", DnsmasqConfig.Render(net, Paths), StringComparison.Ordinal);
        Assert.Equal("NatDnsForwarderInvalid", Fails(() => Net(forwarders: ["ns1.example"])).ErrorId);
        Assert.Equal("NatDnsForwarderWithoutDns", Fails(() => Net(dns: false, forwarders: ["198.51.100.53"])).ErrorId);
        foreach (var bad in new[] { "bad name", "x;reboot", "a..b", "-lead", "under_score", "a\nserver=/x/1.2.3.4" })
        {
            var e = Fails(() => NatChanges.AddDnsRecord(net, bad, "192.0.2.20"));
            Assert.Equal("NatDnsNameInvalid", e.ErrorId);
            Assert.Equal(bad, e.Target);
        }

        Assert.Equal("NatDnsAddressInvalid", Fails(() => NatChanges.AddDnsRecord(net, "files", "192.0.2.300")).ErrorId);
        Assert.Equal("NatDnsOff", Fails(() => NatChanges.AddDnsRecord(Net(dns: false), "files", "192.0.2.20")).ErrorId);
        var one = NatChanges.AddDnsRecord(net, "files", "192.0.2.20");
        Assert.Equal("NatDnsRecordExists", Fails(() => NatChanges.AddDnsRecord(one, "FILES", "192.0.2.20")).ErrorId);
        var two = NatChanges.AddDnsRecord(one, "files", "fd42::20");
        Assert.Single(NatChanges.RemoveDnsRecord(two, "files", "FD42::20").DnsRecords);
        Assert.Empty(NatChanges.RemoveDnsRecord(two, "Files", null).DnsRecords);
        Assert.Equal("NatDnsRecordNotFound", Fails(() => NatChanges.RemoveDnsRecord(two, "web", null)).ErrorId);
        // A record is a hosts-file change: a reload, never a restart that would drop the guests' DNS.
        Golden.AssertMatches("nat/add-dns-record.plan", Render(NatPlanner.PlanUpdate(net, one, Paths)));
    }

    [Fact]
    public void DisablePutsBothForwardingSettingsBackOrHandsThemOn()
    {
        var net = Net() with { RestoreIpForward = true, RestoreIpv6Forward = true, InterfacesIpv6ForwardingBefore = ["lo"] };
        var o = NatObservation.Empty with
        {
            BridgeExists = true, IsBridge = true, BridgeOwned = true, IpForward = "1", Ipv6Forward = "1",
            InterfaceIpv6Forwarding = new Dictionary<string, string> { ["all"] = "1", ["lo"] = "1", ["qn-lab"] = "1" },
        };
        Golden.AssertMatches("nat/disable-v6.plan", Render(NatPlanner.PlanDisable(net, o, Paths)));

        // Another dual-stack network inherits both duties in one record; an IPv4-only one only IPv4's.
        var other = QemuNatNetwork.Create("other", "198.51.100.0/24", null, null, null, null, true, true, null, null, subnet6: "fd42:9::/64");
        var handOver = NatPlanner.PlanDisable(net, o with { Others = [(other, "/run/other.json")] }, Paths);
        var last = handOver.Last(s => s.Target == "/run/other.json");
        var written = System.Text.Json.JsonSerializer.Deserialize<QemuNatNetwork>(((WriteFile)last.Changes[0].Do).Content, NatPlanner.Json)!;
        Assert.True(written.RestoreIpForward);
        Assert.True(written.RestoreIpv6Forward);
        Assert.Equal(["lo"], written.InterfacesIpv6ForwardingBefore);
        var v4only = QemuNatNetwork.Create("other", "198.51.100.0/24", null, null, null, null, true, true, null, null);
        var plan = NatPlanner.PlanDisable(net, o with { Others = [(v4only, "/run/other.json")] }, Paths);
        Assert.Contains(plan, s => s.Action == "Turn off IPv6 forwarding (QemuNet turned it on)");
        Assert.DoesNotContain(plan, s => s.Action == "Turn off IPv4 forwarding (QemuNet turned it on)");
    }

    [Theory]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"Subnet6\":\"fd42::/64\",\"Gateway6\":\"fd42::7\"}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"Subnet6\":\"fd42::/48\",\"Gateway6\":\"fd42::1\"}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"Routes\":[{\"Destination\":\"0.0.0.0/0\",\"Gateway\":\"192.0.2.7\"}]}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"DnsForwarders\":[\"1.2.3.4\\nserver=/x/\"]}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"DnsRecords\":[{\"Name\":\"a\\naddress=/x/1.2.3.4\",\"Address\":\"192.0.2.9\"}]}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"RestoreIpv6Forward\":true,\"InterfacesIpv6ForwardingBefore\":[\"$(id)\"]}")]
    public void ForgedDualStackRecordsAreRefusedOnLoad(string json)
    {
        var record = System.Text.Json.JsonSerializer.Deserialize<QemuNatNetwork>(json, NatPlanner.Json)!;
        Assert.Throws<QemuNetException>(() => NatChanges.Validate(record));
    }
}
