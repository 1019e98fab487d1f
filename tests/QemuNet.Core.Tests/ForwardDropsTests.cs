using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Tests;

/// <summary>Which foreign forward chains drop a NAT network's traffic, and the fix the warning prints for each.</summary>
public sealed class ForwardDropsTests
{
    // What `nft -j list ruleset` says (its chains) on a Docker host (iptables-nft, ip6tables on) that also runs a hand-made inet firewall.
    private const string Chains = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
        {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 2, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
        {"chain": {"family": "ip", "table": "filter", "name": "DOCKER-USER", "handle": 7}},
        {"chain": {"family": "ip6", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
        {"chain": {"family": "ip6", "table": "filter", "name": "DOCKER-USER", "handle": 2}},
        {"chain": {"family": "inet", "table": "fw", "name": "fwd", "handle": 1, "type": "filter", "hook": "forward", "prio": 10, "policy": "drop"}},
        {"chain": {"family": "inet", "table": "fw", "name": "in", "handle": 2, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
        {"chain": {"family": "inet", "table": "qemunet_lab", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}]}
        """;

    [Fact]
    public async Task FindsTheIpv4ForwardDropsOfOthersAndPutsDockersFixInDockerUser()
    {
        var runner = new RecordingProcessRunner((_, _) => new ProcessResult(0, Chains, string.Empty));
        var ruleset = await NftSnapshot.TakeAsync(new HostContext(runner, new NetworkNamespaceId(1, 1, null), null), CancellationToken.None);
        Assert.Equal(
            [new ForwardDrop("ip", "filter", "FORWARD", "DOCKER-USER"), new ForwardDrop("inet", "fw", "fwd", "fwd")],
            ForwardDrops.Find(ruleset));
        Assert.Equal(["nft -j list ruleset"], runner.Calls.Select(c => CommandLine.Format(c.FileName, c.Arguments)));
    }

    [Fact]
    public void AnUnreadableRulesetHasNoDropsAndNoTables()
    {
        Assert.Empty(ForwardDrops.Find(NftSnapshot.Unreadable));
        Assert.Null(NftSnapshot.Unreadable.Table("inet", "qemunet_lab"));
    }

    [Fact]
    public void TheFixIsAShellLineThatEntersTheNamespaceTheCmdletWorkedIn()
    {
        var docker = new ForwardDrop("ip", "filter", "FORWARD", "DOCKER-USER");
        Assert.Equal(
            "nft insert rule ip filter DOCKER-USER 'iifname \"qn-lab\" accept'; nft insert rule ip filter DOCKER-USER 'oifname \"qn-lab\" accept'",
            ForwardDrops.Fix(docker, "qn-lab", null));
        Assert.Equal(
            "ip netns exec ns1 nft insert rule inet fw fwd 'iifname \"qn-lab\" accept'; ip netns exec ns1 nft insert rule inet fw fwd 'oifname \"qn-lab\" accept'",
            ForwardDrops.Fix(new ForwardDrop("inet", "fw", "fwd", "fwd"), "qn-lab", "ns1"));
        Assert.Contains("iptables -I DOCKER-USER -i qn-lab -j ACCEPT", ForwardDrops.FixNote(docker, "qn-lab"));
        Assert.Null(ForwardDrops.FixNote(new ForwardDrop("inet", "fw", "fwd", "fwd"), "qn-lab"));
    }
}
