using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using QemuNet.Core.Model;

namespace QemuNet.Core.Tests;

/// <summary>Golden plans (bridge, address, sysctl, nft ruleset, dnsmasq config) for NAT networks; nothing is applied.</summary>
public sealed class NatPlanGoldenTests
{
    // Fixed paths so the golden files can name them; planning is pure, so nothing is created there.
    private static readonly NatPaths Paths = new("/run/qemunet/nat/4026532000-7", "/run/qemunet-dnsmasq/4026532000-7", "lab");

    private static QemuNatNetwork Lab(bool dhcp = true, bool dns = true, string? domain = null, string? uplink = null) =>
        QemuNatNetwork.Create("lab", "192.0.2.0/24", null, uplink, null, null, dhcp, dns, domain, null);

    private static string Render(IEnumerable<HostStep> steps) => string.Concat(steps.Select(s => s.Describe() + "\n"));

    private static string PlanFresh(QemuNatNetwork net) => Render(NatPlanner.PlanEnable(net, NatObservation.Empty, Paths));

    private static NatObservation Applied(QemuNatNetwork recorded) => new(true, true, true, true, true, "1", true, "listing\n", 4242)
    {
        Files = new Dictionary<string, string>
        {
            [Paths.Record] = NatPlanner.Serialize(recorded),
            [Paths.AppliedRuleset] = "listing\n",
            [Paths.DnsmasqConf] = DnsmasqConfig.Render(recorded, Paths),
            [Paths.HostsFile] = DnsmasqConfig.RenderHosts(recorded),
            [Paths.AddnHostsFile] = DnsmasqConfig.RenderAddnHosts(recorded),
            [Paths.Leases] = "1700000000 52:54:00:00:00:10 192.0.2.10 web *\n",
        },
    };

    [Fact]
    public void DefaultNetwork() => Golden.AssertMatches("nat/default.plan", PlanFresh(Lab()));

    [Theory]
    [InlineData(QemuNetworkMode.Routed, null)]
    [InlineData(QemuNetworkMode.Routed, "eth0")]
    [InlineData(QemuNetworkMode.Isolated, null)]
    public void EachMode(QemuNetworkMode mode, string? uplink)
    {
        // Routed: forwarded both ways with the guests' own addresses, no masquerade; Isolated: no forwarding, no
        // ip_forward, and the host answers the guests' DHCP and DNS only.
        var net = QemuNatNetwork.Create("lab", "192.0.2.0/24", null, uplink, null, null, true, true, null, null, mode);
        var name = $"nat/{mode.ToString().ToLowerInvariant()}{(uplink is null ? string.Empty : "-uplink")}";
        Golden.AssertMatches(name + ".plan", PlanFresh(net));
        Golden.AssertMatches(name + ".nft", NftRuleset.Render(net));
    }

    [Fact]
    public void MtuOnTheBridgeAndInDhcp() =>
        Golden.AssertMatches("nat/mtu.plan", PlanFresh(QemuNatNetwork.Create("lab", "192.0.2.0/24", null, null, null, null, true, true, null, null, mtu: 1400)));

    [Fact]
    public void AnIsolatedNetworkHasNoUplinkAndNoPortForwards()
    {
        Assert.Equal("NatUplinkIsolated", Assert.Throws<QemuNetException>(() =>
            QemuNatNetwork.Create("lab", "192.0.2.0/24", null, "eth0", null, null, true, true, null, null, QemuNetworkMode.Isolated)).ErrorId);
        var isolated = QemuNatNetwork.Create("lab", "192.0.2.0/24", null, null, null, null, true, true, null, null, QemuNetworkMode.Isolated);
        Assert.Equal("NatForwardIsolated", Assert.Throws<QemuNetException>(() =>
            NatChanges.AddPortForward(isolated, QemuForwardProtocol.Tcp, null, 8080, "192.0.2.10", 80)).ErrorId);
    }

    [Fact]
    public void NoDhcpNoDnsWithUplink() => Golden.AssertMatches("nat/no-dhcp.plan", PlanFresh(Lab(dhcp: false, dns: false, uplink: "eth0")));

    [Fact]
    public void Reservations()
    {
        var net = NatChanges.AddReservation(NatChanges.AddReservation(Lab(domain: "lab.example"), "52:54:00:00:00:10", "192.0.2.10", "web"),
            "52-54-00-00-00-11", "192.0.2.11", null);
        Golden.AssertMatches("nat/reservations.plan", PlanFresh(net));
    }

    [Fact]
    public void AReservationChangesOnlyTheHostsFilesSoDnsmasqIsReloadedNotRestarted()
    {
        var net = Lab();
        var reserved = NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", "web");
        Assert.Equal(DnsmasqConfig.Render(net, Paths), DnsmasqConfig.Render(reserved, Paths));
        Assert.NotEqual(DnsmasqConfig.RenderHosts(net), DnsmasqConfig.RenderHosts(reserved));
        Assert.Equal("192.0.2.10 web\n", DnsmasqConfig.RenderAddnHosts(reserved));
    }

    [Fact]
    public void FilesDnsmasqRereadsAsNobodyLiveOutsideThePrivateBooks()
    {
        Assert.StartsWith("/run/qemunet-dnsmasq/", Paths.HostsFile, StringComparison.Ordinal);
        Assert.StartsWith("/run/qemunet-dnsmasq/", Paths.AddnHostsFile, StringComparison.Ordinal);
        Assert.StartsWith("/run/qemunet/", Paths.DnsmasqConf, StringComparison.Ordinal);
    }

    [Fact]
    public void PortForwards()
    {
        var net = NatChanges.AddReservation(Lab(), "52:54:00:00:00:10", "192.0.2.10", null);
        net = NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 8080, "52:54:00:00:00:10", 80);
        net = NatChanges.AddPortForward(net, QemuForwardProtocol.Udp, "203.0.113.1", 5353, "192.0.2.20", 53);
        Golden.AssertMatches("nat/port-forwards.plan", PlanFresh(net));
        Golden.AssertMatches("nat/port-forwards.nft", NftRuleset.Render(net));
    }

    [Fact]
    public void UpdateOfForwardsReplacesTheTableAtomically()
    {
        var net = Lab();
        var next = NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 8080, "192.0.2.10", 80);
        Golden.AssertMatches("nat/add-forward.plan", Render(NatPlanner.PlanUpdate(net, next, Paths)));
    }

    [Fact]
    public void UpdateOfReservationsRewritesTheHostsFilesAndReloads()
    {
        var net = Lab(domain: "lab.test");
        var next = NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", "webby");
        Golden.AssertMatches("nat/add-reservation.plan", Render(NatPlanner.PlanUpdate(net, next, Paths)));
    }

    [Fact]
    public void AlreadyAppliedNetworkHasAnEmptyPlan()
    {
        var recorded = Lab() with { RestoreIpForward = true };
        Assert.Empty(NatPlanner.PlanEnable(recorded, Applied(recorded), Paths));
    }

    [Fact]
    public void HalfAppliedNetworkPlansOnlyWhatIsMissing()
    {
        // Bridge and address made, forwarding on; firewall, dnsmasq and record missing (a killed Enable, say).
        var half = new NatObservation(true, true, true, true, true, "1", false, null, null);
        Golden.AssertMatches("nat/half-applied.plan", Render(NatPlanner.PlanEnable(Lab(), half, Paths)));
    }

    [Fact]
    public void ABridgeOfTheSameNameTheModuleDidNotMakeIsNeverAdopted()
    {
        var foreign = new NatObservation(true, true, false, false, true, "1", false, null, null);
        Assert.Equal("NatBridgeNameInUse", Assert.Throws<QemuNetException>(() => NatPlanner.PlanEnable(Lab(), foreign, Paths)).ErrorId);
    }

    [Fact]
    public void DisableRemovesExactlyWhatEnableMade()
    {
        var net = NatChanges.AddReservation(Lab(), "52:54:00:00:00:10", "192.0.2.10", "web") with { RestoreIpForward = true };
        Golden.AssertMatches("nat/disable.plan", Render(NatPlanner.PlanDisable(net, Applied(net), Paths)));
    }

    [Fact]
    public void EnableRepairsAnUplinkThatBecameABridgePortAndGuestTapsOffTheBridge()
    {
        var net = Lab(uplink: "up0") with { RestoreIpForward = true };
        var o = Applied(net) with
        {
            UplinkMaster = "br0",
            BridgeUp = false,
            StrayTaps = [new StrayTap("qt00000001", "web", null, false), new StrayTap("qt00000002", "db", "br9", true)],
        };
        Golden.AssertMatches("nat/repair.plan", Render(NatPlanner.PlanEnable(net, o, Paths)));
        var missing = Assert.Throws<QemuNetException>(() => NatPlanner.PlanEnable(net, NatObservation.Empty with { UplinkExists = false }, Paths));
        Assert.Equal("NatUplinkNotFound", missing.ErrorId);
        Assert.Equal("up0", missing.Target);
    }

    [Fact]
    public void ForwardingOfEveryInterfaceIsPutBackAsItWas()
    {
        // ip_forward=0 with lo, dum.7 and default on: turning ip_forward on and off again would leave them off.
        var mixed = new Dictionary<string, string> { ["all"] = "0", ["default"] = "1", ["lo"] = "1", ["eth0"] = "0", ["dum.7"] = "1" };
        var enable = NatPlanner.PlanEnable(Lab(), NatObservation.Empty with { InterfaceForwarding = mixed }, Paths);
        var turnOn = Assert.Single(enable, s => s.Target == NatPlanner.IpForwardKey);
        Assert.Equal(
            [new SetSysctl("net.ipv4.ip_forward", "0"), new SetSysctl("net.ipv4.conf.default.forwarding", "1"), new SetSysctl("net.ipv4.conf.dum/7.forwarding", "1"), new SetSysctl("net.ipv4.conf.lo.forwarding", "1")],
            turnOn.Changes[0].Undo);
        var net = Lab() with { RestoreIpForward = true, InterfacesForwardingBefore = ["default", "dum.7", "lo"] };
        // dum.7 is gone by then: only the interfaces still there get their setting back.
        var now = new Dictionary<string, string> { ["all"] = "1", ["default"] = "1", ["lo"] = "1", ["eth0"] = "1", ["qn-lab"] = "1" };
        var disable = NatPlanner.PlanDisable(net, Applied(net) with { IpForward = "1", InterfaceForwarding = now }, Paths);
        Golden.AssertMatches("nat/forwarding-restore.plan", Render(disable.Where(s => s.Target == NatPlanner.IpForwardKey)));
        Assert.Equal("/proc/sys/net/ipv4/conf/dum.7/forwarding", Engine.HostContext.SysctlPath("net.ipv4.conf.dum/7.forwarding"));
    }

    [Theory]
    [InlineData("{\"Name\":\"sy; add table ip pwned\",\"BridgeName\":\"qn-x\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\"}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"$(id)\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\"}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.1\",\"DomainName\":\"a\\nserver=/x/\"}")]
    [InlineData("{\"Name\":\"lab\",\"BridgeName\":\"qn-lab\",\"Subnet\":\"192.0.2.0/24\",\"Gateway\":\"192.0.2.7\"}")]
    public void ForgedRecordsAreRefusedOnLoad(string json)
    {
        var record = System.Text.Json.JsonSerializer.Deserialize<QemuNatNetwork>(json, NatPlanner.Json)!;
        Assert.Throws<QemuNetException>(() => NatChanges.Validate(record));
    }

    [Fact]
    public void NetworkSettingsAreValidated()
    {
        QemuNetException Fails(Func<object> f) => Assert.Throws<QemuNetException>(() => f());
        Assert.Equal("NatNameInvalid", Fails(() => QemuNatNetwork.Create("1lab", null, null, null, null, null, true, true, null, null)).ErrorId);
        Assert.Equal("NatBridgeNameInvalid", Fails(() => QemuNatNetwork.Create("lab", null, "br:0", null, null, null, true, true, null, null)).ErrorId);
        Assert.Equal("NatBridgeNameRequired", Fails(() => QemuNatNetwork.Create("averylongname", null, null, null, null, null, true, true, null, null)).ErrorId);
        Assert.Equal("NatSubnetInvalid", Fails(() => QemuNatNetwork.Create("lab", "192.0.2.0/31", null, null, null, null, true, true, null, null)).ErrorId);
        Assert.Equal("NatDhcpRangeInvalid", Fails(() => QemuNatNetwork.Create("lab", "192.0.2.0/24", null, null, "192.0.2.50", "192.0.2.40", true, true, null, null)).ErrorId);
        Assert.Equal("NatDomainNameInvalid", Fails(() => QemuNatNetwork.Create("lab", null, null, null, null, null, true, true, "bad domain", null)).ErrorId);
        Assert.Equal("NatUplinkInvalid", Fails(() => QemuNatNetwork.Create("lab", null, null, "$(id)", null, null, true, true, null, null)).ErrorId);
        var net = Lab();
        Assert.Equal("NatReservationExists", Fails(() => NatChanges.AddReservation(NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", null), "52:54:00:00:00:11", "192.0.2.10", null)).ErrorId);
        Assert.Equal("NatForwardExists", Fails(() => NatChanges.AddPortForward(NatChanges.AddPortForward(net, QemuForwardProtocol.Tcp, null, 80, "192.0.2.9", 80), QemuForwardProtocol.Tcp, "203.0.113.1", 80, "192.0.2.8", 80)).ErrorId);
        Assert.Equal("NatForwardNotFound", Fails(() => NatChanges.RemovePortForward(net, QemuForwardProtocol.Tcp, null, 80)).ErrorId);
        Assert.Equal("NatReservationNotFound", Fails(() => NatChanges.RemoveReservation(net, "52:54:00:00:00:10")).ErrorId);
    }
}
