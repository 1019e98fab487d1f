using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using QemuNet.Core.Host;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Tests;

/// <summary>Golden plans (bridge, address, sysctl, nft ruleset, dnsmasq config) for NAT networks; nothing is applied.</summary>
public sealed class NatPlanGoldenTests : IDisposable
{
    // A fixed path so the golden files can name it; only this class uses it.
    private const string State = "/tmp/qemunet-golden-state";
    private readonly NatManager _manager = new(new HostContext(new RecordingProcessRunner(), null), State);

    public NatPlanGoldenTests() => Dispose();

    public void Dispose()
    {
        if (Directory.Exists(State))
        {
            Directory.Delete(State, recursive: true);
        }
    }

    private static QemuNatNetwork Lab(bool dhcp = true, bool dns = true, string? domain = null, string? uplink = null) =>
        QemuNatNetwork.Create("lab", "192.0.2.0/24", null, uplink, null, null, dhcp, dns, domain, null);

    private static string Render(IEnumerable<HostStep> steps) => string.Concat(steps.Select(s => s.Describe() + "\n"));

    private string PlanFresh(QemuNatNetwork net) => Render(_manager.PlanEnable(net, NatObservation.Empty));

    [Fact]
    public void DefaultNetwork() => Golden.AssertMatches("nat/default.plan", PlanFresh(Lab()));

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
    public void AReservationChangesOnlyTheHostsFileSoDnsmasqIsReloadedNotRestarted()
    {
        var net = Lab();
        var paths = _manager.PathsFor("lab");
        var reserved = NatChanges.AddReservation(net, "52:54:00:00:00:10", "192.0.2.10", "web");
        Assert.Equal(DnsmasqConfig.Render(net, paths), DnsmasqConfig.Render(reserved, paths));
        Assert.NotEqual(DnsmasqConfig.RenderHosts(net), DnsmasqConfig.RenderHosts(reserved));
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
        Golden.AssertMatches("nat/add-forward.plan", Render(_manager.PlanUpdate(net, next)));
    }

    [Fact]
    public void AlreadyAppliedNetworkHasAnEmptyPlan()
    {
        var net = Lab();
        var paths = _manager.PathsFor("lab");
        Directory.CreateDirectory(paths.Directory);
        var recorded = net.With(restoreIpForward: true);
        File.WriteAllText(paths.Record, NatManager.Serialize(recorded));
        File.WriteAllText(Path.Combine(paths.Directory, "lab.nft"), "listing\n");
        File.WriteAllText(paths.DnsmasqConf, DnsmasqConfig.Render(recorded, paths));
        File.WriteAllText(paths.HostsFile, string.Empty);
        var applied = new NatObservation(true, true, true, true, "1", true, "listing\n", 4242);
        Assert.Empty(_manager.PlanEnable(recorded, applied));
    }

    [Fact]
    public void HalfAppliedNetworkPlansOnlyWhatIsMissing()
    {
        // Bridge and address made, forwarding on; firewall, dnsmasq and record missing (a killed Enable, say).
        var half = new NatObservation(true, true, true, true, "1", false, null, null);
        Golden.AssertMatches("nat/half-applied.plan", Render(_manager.PlanEnable(Lab(), half)));
    }

    [Fact]
    public void DisableRemovesExactlyWhatEnableMade()
    {
        var net = Lab().With(restoreIpForward: true);
        var applied = new NatObservation(true, true, true, true, "1", true, "listing\n", 4242);
        Golden.AssertMatches("nat/disable.plan", Render(_manager.PlanDisable(net, applied)));
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
