using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;

namespace QemuNet.Core.Tests;

/// <summary>Golden bridge plans (with and without an uplink, and their removal), the helper ACL and the ifup scripts.</summary>
public sealed class BridgeTests : IDisposable
{
    private const string State = "/tmp/qemunet-golden-bridge";
    private static readonly NetworkNamespaceId GoldenNamespace = new(4026532000, 7, null);
    private readonly BridgeManager _manager = new(new HostContext(new RecordingProcessRunner(), GoldenNamespace, null), State);

    private static readonly LinkState Eth0 = new("eth0", null, null, "52:54:00:aa:bb:cc", true, false);

    // A rich uplink: a primary and a labelled secondary in one subnet, a DHCP address with its lifetimes, an
    // IPv6 address made without DAD, a SLAAC address (left to the kernel).
    private static readonly LinkAddress[] Addresses =
    [
        new(false, "198.51.100.2", 24, "198.51.100.255"),
        new(false, "203.0.113.5", 24, null, Dynamic: true) { ValidLifetime = 3600, PreferredLifetime = 1800 },
        new(false, "198.51.100.3", 24, "198.51.100.255") { Secondary = true, LabelSuffix = ":1" },
        new(true, "2001:db8::2", 64, null) { Flags = ["nodad"] },
        new(true, "2001:db8::5054:ff:feaa:bbcc", 64, null, Dynamic: true) { Flags = ["mngtmpaddr"] },
    ];

    private static readonly LinkRoute[] Routes =
    [
        new(false, "default", "198.51.100.1", null, "dhcp", null, "198.51.100.2", false),
        new(false, "203.0.113.0/24", "198.51.100.1", 50, "static", null, null, false),
        new(true, "default", "2001:db8::1", 1024, null, null, null, false),
        new(false, "default", "198.51.100.1", null, null, null, null, false) { Table = "100", Metrics = ["mtu 1400"] },
    ];

    private static readonly LinkCarry Carry = new(Addresses, Routes)
    {
        Rules = [new LinkRule(false, 1001, null, null, "eth0", null, null, "100")],
        Neighbours = [new LinkNeighbour(false, "198.51.100.50", "52:54:00:00:00:50")],
    };

    public BridgeTests() => Dispose();

    public void Dispose()
    {
        if (Directory.Exists(State))
        {
            Directory.Delete(State, recursive: true);
        }
    }

    private static string Render(IEnumerable<HostStep> steps) => string.Concat(steps.Select(s => s.Describe() + "\n"));

    [Fact]
    public void PlanWithoutUplink()
    {
        var wanted = new QemuBridge { Name = "br0", Stp = true, ForwardDelay = 4 };
        var o = new BridgeObservation(null, null, LinkCarry.None, LinkCarry.None, []);
        Assert.False(_manager.Check(wanted, o));
        Golden.AssertMatches("bridge/no-uplink.plan", Render(_manager.PlanCreate(wanted, o)));
    }

    [Fact]
    public void PlanWithUplinkMovesAddressesAndRoutesInOneStep()
    {
        var wanted = new QemuBridge { Name = "br0", Uplink = "eth0" };
        var o = new BridgeObservation(null, Eth0, Carry, LinkCarry.None, []);
        Assert.False(_manager.Check(wanted, o));
        var steps = _manager.PlanCreate(wanted, o);
        Assert.Single(steps, s => s.Target == "eth0");
        Golden.AssertMatches("bridge/uplink.plan", Render(steps));
    }

    [Fact]
    public void RemovalMovesThemBack()
    {
        var record = new QemuBridge { Name = "br0", Uplink = "eth0" };
        var bridge = new LinkState("br0", "bridge", null, "52:54:00:aa:bb:cc", true, false);
        var o = new BridgeObservation(bridge, Eth0 with { Master = "br0" }, LinkCarry.None, Carry, ["eth0"]);
        Golden.AssertMatches("bridge/remove-uplink.plan", Render(_manager.PlanRemove(record, o)));
    }

    [Theory]
    [InlineData("eth0", null, "BridgeNameInUse")]
    [InlineData("br0", "br0", "BridgeUplinkInvalid")]
    [InlineData("br0", "lo", "BridgeUplinkInvalid")]
    [InlineData("br0", "eth1", "BridgeUplinkInUse")]
    [InlineData("br0", "eth9", "BridgeUplinkNotFound")]
    public void Checks(string name, string? uplink, string errorId)
    {
        LinkState? existing = name == "eth0" ? Eth0 : null;
        LinkState? up = uplink switch
        {
            "lo" => new LinkState("lo", null, null, null, true, true),
            "eth1" => new LinkState("eth1", null, "br9", null, true, false),
            "br0" => null,
            _ => null,
        };
        var o = new BridgeObservation(existing, up, LinkCarry.None, LinkCarry.None, []);
        var ex = Assert.Throws<QemuNetException>(() => _manager.Check(new QemuBridge { Name = name, Uplink = uplink }, o));
        Assert.Equal(errorId, ex.ErrorId);
    }

    [Fact]
    public void AclFollowsIncludesAndDenyWins()
    {
        var dir = Directory.CreateDirectory(Path.Combine(State, "acl")).FullName;
        var included = Path.Combine(dir, "more.conf");
        var main = Path.Combine(dir, "bridge.conf");
        File.WriteAllText(included, "allow br1\nallow br2\n");
        File.WriteAllText(main, $"# comment\nallow br0\ninclude {included}\ndeny br2\n");
        var rules = BridgeAcl.Read(main);
        Assert.True(BridgeAcl.IsAllowed(rules, "br0"));
        Assert.True(BridgeAcl.IsAllowed(rules, "br1"));
        Assert.False(BridgeAcl.IsAllowed(rules, "br2"));
        Assert.False(BridgeAcl.IsAllowed(rules, "br3"));
        Assert.False(BridgeAcl.IsAllowed(BridgeAcl.Read(Path.Combine(dir, "missing.conf")), "br0"));
    }

    [Fact]
    public void GrantAddsAllowAndDropsDeny()
    {
        Assert.Equal("allow br0\n", BridgeAcl.Grant(null, "br0"));
        Assert.Equal("allow all\nallow br0\n", BridgeAcl.Grant("allow all\ndeny br0\n", "br0"));
        Assert.Equal("allow br0\n", BridgeAcl.Grant("allow br0\n", "br0"));
        Assert.Equal("BridgeAccessNameInvalid", Assert.Throws<QemuNetException>(() => BridgeAcl.Grant(null, "br0\nallow all")).ErrorId);
    }

    [Fact]
    public void RevokeRemovesAllowAndDeniesWhenAllowAllWouldStillLetItIn()
    {
        Assert.Equal("allow br1\n", BridgeAcl.Revoke("allow br0\nallow br1\n", "br0", _ => []));
        Assert.Equal("allow all\ndeny br0\n", BridgeAcl.Revoke("allow all\nallow br0\n", "br0", _ => []));
    }

    [Fact]
    public void AclGrantAndRevokeArePlansOfTheFileDriver()
    {
        const string acl = "/etc/qemu/bridge.conf";
        var none = new Dictionary<string, string?> { [acl] = null };
        var grant = HostFiles.Plan([new HostFileChange(acl, BridgeAcl.Grant(null, "br0"), Action: "Allow the bridge helper to use br0")], none);
        var granted = new Dictionary<string, string?> { [acl] = "allow br0\n" };
        var revoked = BridgeAcl.Revoke("allow br0\n", "br0", _ => []);
        // Revoking the only rule removes the file Grant made, rather than leaving it holding a newline.
        var revoke = HostFiles.Plan([new HostFileChange(acl, revoked.Trim().Length == 0 ? null : revoked, Action: "Stop the bridge helper from using br0")], granted);
        Golden.AssertMatches("bridge/acl-grant.plan", Render(grant));
        Golden.AssertMatches("bridge/acl-revoke.plan", Render(revoke));
        Assert.Empty(HostFiles.Plan([new HostFileChange(acl, "allow br0\n")], granted));
    }

    [Fact]
    public void IfupExportIsAPlanOfTheFileDriver()
    {
        var files = IfupScript.Files("br0", null, "/tmp/qemunet-golden-none/qemu-ifup", "/tmp/qemunet-golden-none/qemu-ifdown", force: false);
        var current = files.ToDictionary(f => f.Path, _ => (string?)null);
        Golden.AssertMatches("bridge/ifup-export.plan", Render(HostFiles.Plan(files, current)));
        Assert.Equal("IfupBridgeMissing", Assert.Throws<QemuNetException>(() => IfupScript.Files(null, null, "/tmp/x", null, false)).ErrorId);
    }

    [Theory]
    [InlineData("$(touch /tmp/pwned)")]
    [InlineData("lab`id`")]
    [InlineData("lab\"; id; \"")]
    public void IfupScriptRefusesANetworkNameThatIsNotOne(string name) =>
        Assert.Equal("NatNameInvalid", Assert.Throws<QemuNetException>(() => IfupScript.RenderUp("qn-lab", name)).ErrorId);

    [Theory]
    [InlineData("help")]
    [InlineData("dev")]
    [InlineData("type")]
    public void LinkNamesThatAreIpKeywordsAreRefused(string name) =>
        Assert.Equal("BridgeNameInvalid", Assert.Throws<QemuNetException>(() => InterfaceName.Check(name, "BridgeNameInvalid")).ErrorId);

    [Fact]
    public void IfupScripts()
    {
        Golden.AssertMatches("bridge/qemu-ifup", IfupScript.RenderUp("br0", null));
        Golden.AssertMatches("bridge/qemu-ifup-nat", IfupScript.RenderUp("qn-lab", "lab"));
        Golden.AssertMatches("bridge/qemu-ifdown", IfupScript.RenderDown("br0"));
        Assert.Equal("'a'\\''b'", Processes.CommandLine.QuoteAlways("a'b"));
        Assert.Equal("IfupBridgeInvalid", Assert.Throws<QemuNetException>(() => IfupScript.RenderUp("br0'; reboot", null)).ErrorId);
    }
}
