using System.Runtime.CompilerServices;
using QemuNet.Core.Engine;

namespace QemuNet.Core.Tests;

/// <summary>The one-program looks at a namespace: `ip -json -details -batch -` and `nft -j list ruleset`, as nft 1.0.6 and iproute2 6.1 print them.</summary>
public sealed class HostSnapshotTests
{
    // Two answers, one line each: the links with their addresses, then the main table's routes.
    private const string IpBatch = """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"link_type":"loopback","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},{"ifindex":2,"ifname":"qn-lab","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"link_type":"ether","address":"02:aa:52:56:39:58","ifalias":"qemunet:nat:lab","linkinfo":{"info_kind":"bridge","info_data":{"stp_state":0}},"addr_info":[{"family":"inet","local":"192.0.2.1","prefixlen":24,"scope":"global","label":"qn-lab","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::aa:52ff:fe56:3958","prefixlen":64,"scope":"link"}]},{"ifindex":3,"ifname":"tap0","flags":["BROADCAST","MULTICAST"],"mtu":1500,"master":"qn-lab","linkinfo":{"info_kind":"tun"},"addr_info":[]}]
        [{"type":"unicast","dst":"default","gateway":"198.51.100.1","dev":"up0","flags":[]},{"type":"unicast","dst":"192.0.2.0/24","dev":"qn-lab","protocol":"kernel","scope":"link","prefsrc":"192.0.2.1","flags":[]},{"dst":"203.0.113.0/25","gateway":"192.0.2.7","dev":"qn-lab","flags":[]}]

        """;

    private const string Ruleset = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "qemunet_lab", "handle": 4}}, {"chain": {"family": "inet", "table": "qemunet_lab", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "qemunet_lab", "chain": "forward", "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "qn-lab"}}, {"accept": null}]}}, {"table": {"family": "ip", "name": "filter", "handle": 5}}, {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}]}
        """;

    private const string OneTable = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "qemunet_lab", "handle": 4}}, {"chain": {"family": "inet", "table": "qemunet_lab", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "qemunet_lab", "chain": "forward", "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "qn-lab"}}, {"accept": null}]}}]}
        """;

    [Fact]
    public void OneIpBatchAnswersForLinksAddressesPortsAndRoutes()
    {
        var ip = IpSnapshot.Parse(IpBatch);
        Assert.Equal(["lo", "qn-lab", "tap0"], ip.Links.Select(l => l.Name));
        var bridge = ip.Link("qn-lab")!;
        Assert.Equal(("bridge", "qemunet:nat:lab", 1400, true), (bridge.Kind, bridge.Alias, bridge.Mtu, bridge.Up));
        Assert.Equal([new LinkAddress(false, "192.0.2.1", 24, null)], ip.Addresses("qn-lab"));
        Assert.Empty(ip.Addresses("lo"));
        Assert.Empty(ip.Addresses("absent"));
        Assert.Null(ip.Link("absent"));
        Assert.Equal(["tap0"], ip.Ports("qn-lab"));
        Assert.Equal(
            [new HostRoute("default", "up0", "198.51.100.1"), new HostRoute("192.0.2.0/24", "qn-lab", null), new HostRoute("203.0.113.0/25", "qn-lab", "192.0.2.7")],
            ip.Routes);
    }

    [Fact]
    public void AnIpBatchWithAnAnswerMissingIsAnError()
    {
        var ex = Assert.Throws<QemuNetException>(() => IpSnapshot.Parse(IpBatch.Split('\n')[0]));
        Assert.Equal("HostCommandFailed", ex.ErrorId);
    }

    [Fact]
    public void ATableReadsTheSameFromTheRulesetAndAlone()
    {
        var fromRuleset = NftSnapshot.Parse(Ruleset).Table("inet", "qemunet_lab");
        var alone = NftSnapshot.Parse(OneTable).Table("inet", "qemunet_lab");
        Assert.NotNull(fromRuleset);
        Assert.Equal(fromRuleset, alone);
        Assert.Equal(3, alone!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Null(NftSnapshot.Parse(Ruleset).Table("inet", "filter"));
        Assert.Null(NftSnapshot.Parse(Ruleset).Table("ip", "qemunet_lab"));
    }

    [Theory]
    [InlineData("create")]
    [InlineData("replace")]
    public void WhatNftEchoesWhenApplyingATableIsWhatItListsAfter(string transaction)
    {
        var echoed = NftSnapshot.FromEcho(File.ReadAllText(DataPath(transaction + "-echo.json"))).Table("inet", "qemunet_lab");
        var listed = NftSnapshot.Parse(File.ReadAllText(DataPath(transaction + "-ruleset.json"))).Table("inet", "qemunet_lab");
        Assert.NotNull(listed);
        Assert.Equal(listed, echoed);
    }

    [Fact]
    public void ADeletedTableInTheEchoDropsWhatWasAddedToItBefore()
    {
        const string Echo = """
            {"nftables": [{"add": {"table": {"family": "inet", "name": "t", "handle": 1}}}, {"add": {"chain": {"family": "inet", "table": "t", "name": "c", "handle": 1}}},
            {"delete": {"table": {"family": "inet", "name": "t", "handle": 1}}}, {"add": {"table": {"family": "inet", "name": "t", "handle": 2}}}]}
            """;
        Assert.Equal("{\"table\": {\"family\": \"inet\", \"name\": \"t\", \"handle\": 2}}\n", NftSnapshot.FromEcho(Echo).Table("inet", "t"));
    }

    [Fact]
    public void AnyChangeToTheTableChangesItsText()
    {
        var changed = Ruleset.Replace("\"right\": \"qn-lab\"", "\"right\": \"qn-other\"", StringComparison.Ordinal);
        Assert.NotEqual(NftSnapshot.Parse(Ruleset).Table("inet", "qemunet_lab"), NftSnapshot.Parse(changed).Table("inet", "qemunet_lab"));
        var otherTable = Ruleset.Replace("\"policy\": \"drop\"", "\"policy\": \"accept\"", StringComparison.Ordinal);
        Assert.Equal(NftSnapshot.Parse(Ruleset).Table("inet", "qemunet_lab"), NftSnapshot.Parse(otherTable).Table("inet", "qemunet_lab"));
    }

    private static string DataPath(string file, [CallerFilePath] string callerFile = "") =>
        Path.Combine(Path.GetDirectoryName(callerFile)!, "data", "nft", file);
}
