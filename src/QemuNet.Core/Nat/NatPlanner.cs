using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;

namespace QemuNet.Core.Nat;

/// <summary>What the host and the books look like for one NAT network, read before planning.</summary>
public sealed record NatObservation(
    bool BridgeExists,
    bool IsBridge,
    bool BridgeOwned,
    bool BridgeHasAddress,
    bool BridgeUp,
    string IpForward,
    bool TableExists,
    string? TableListing,
    int? DnsmasqPid)
{
    public static readonly NatObservation Empty = new(false, false, false, false, false, "0", false, null, null);

    /// <summary>The network's files that exist, with their text (path → text).</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    /// <summary>The other networks of the namespace, with the path of their records.</summary>
    public IReadOnlyList<(QemuNatNetwork Network, string RecordPath)> Others { get; init; } = [];

    /// <summary>With an uplink: whether it exists, and the bridge it is a port of (null: none).</summary>
    public bool UplinkExists { get; init; } = true;

    public string? UplinkMaster { get; init; }

    /// <summary>TAPs of this network's running QemuNet guests that are not on its bridge or are down (a deleted and recreated bridge).</summary>
    public IReadOnlyList<StrayTap> StrayTaps { get; init; } = [];

    /// <summary>Every interface's net.ipv4.conf.IF.forwarding (with "all" and "default"), as sysctl names them.</summary>
    public IReadOnlyDictionary<string, string> InterfaceForwarding { get; init; } = new Dictionary<string, string>();

    /// <summary>The bridge's MAC address as seen (null when it does not exist).</summary>
    public string? BridgeMacAddress { get; init; }

    /// <summary>Whether the bridge has the network's IPv6 gateway address (dual-stack networks).</summary>
    public bool BridgeHasAddress6 { get; init; }

    /// <summary>net.ipv6.conf.all.forwarding ("0" where IPv6 is off or unknown).</summary>
    public string Ipv6Forward { get; init; } = "0";

    /// <summary>Every interface's net.ipv6.conf.IF.forwarding (with "all" and "default").</summary>
    public IReadOnlyDictionary<string, string> InterfaceIpv6Forwarding { get; init; } = new Dictionary<string, string>();

    /// <summary>The routes on the bridge, as "DESTINATION via GATEWAY".</summary>
    public IReadOnlySet<string> BridgeRoutes { get; init; } = new HashSet<string>();

    public string? FileText(string path) => Files.TryGetValue(path, out var text) ? text : null;
}

/// <summary>A guest's TAP that should be on the network's bridge and up, as found.</summary>
public sealed record StrayTap(string Name, string Vm, string? Master, bool Up);

/// <summary>The pure half of the NAT driver: (wanted, observed) → steps. Nothing here touches the disk or the host.</summary>
public static class NatPlanner
{
    public const string IpForwardKey = "net.ipv4.ip_forward";

    public const string Ipv6ForwardKey = "net.ipv6.conf.all.forwarding";

    /// <summary>An interface's IPv6 forwarding sysctl, named as sysctl names it.</summary>
    public static string InterfaceIpv6ForwardingKey(string ifName) => $"net.ipv6.conf.{ifName.Replace('.', '/')}.forwarding";

    private static IEnumerable<HostAction> RestoreIpv6Interfaces(IEnumerable<string> interfaces) =>
        interfaces.Select(i => new SetSysctl(InterfaceIpv6ForwardingKey(i), "1"));

    /// <summary>Host routes a routed network installs: what lies behind its guests, so the LAN's traffic for it finds them.</summary>
    internal static IEnumerable<QemuNatRoute> HostRoutes(QemuNatNetwork net) => net.Mode == QemuNetworkMode.Routed ? net.Routes : [];

    /// <summary>An interface's IPv4 forwarding sysctl, named as sysctl names it (a dot in the interface name becomes '/').</summary>
    public static string InterfaceForwardingKey(string ifName) => $"net.ipv4.conf.{ifName.Replace('.', '/')}.forwarding";

    private static IEnumerable<HostAction> RestoreInterfaces(IEnumerable<string> interfaces) =>
        interfaces.Select(i => new SetSysctl(InterfaceForwardingKey(i), "1"));

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>
    /// The MAC address a NAT bridge is made with: locally administered, from a hash of the network's name and subnet
    /// (a bridge with a MAC of its own also keeps it, and its IPv6 link-local address, when ports come and go).
    /// </summary>
    public static string BridgeMacAddress(QemuNatNetwork net)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"qemunet:nat:{net.Name}:{net.Subnet}"));
        return "02:" + string.Join(':', hash.Take(5).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>The alias the module gives a NAT bridge: what makes it recognisably its own.</summary>
    public static string BridgeAlias(QemuNatNetwork net) => "qemunet:nat:" + net.Name;

    public static string Serialize(QemuNatNetwork net) => JsonSerializer.Serialize(net, Json);

    /// <summary>What an autostart definition keeps: the settings and lists, none of the runtime duties (forwarding to turn off, uplink's bridge).</summary>
    public static string Definition(QemuNatNetwork net) => Serialize(net with
    {
        RestoreIpForward = false, InterfacesForwardingBefore = [], RestoreIpv6Forward = false, InterfacesIpv6ForwardingBefore = [],
        UplinkBridge = null, NetworkNamespace = null, AutoStart = true,
    });

    /// <summary>The change that keeps the definition in step with <paramref name="next"/> (written, or removed when autostart is off), or none.</summary>
    private static HostStep? DefinitionStep(QemuNatNetwork next, string? existingText, NatPaths paths)
    {
        if (!next.AutoStart && existingText is null)
        {
            return null;
        }

        var path = paths.Definition ?? throw DefinitionStore.UnnamedNamespace(next.Name);
        if (!next.AutoStart)
        {
            return new HostStep(path, "Remove the definition (no autostart)", new HostChange(new DeleteFile(path), new WriteFile(path, existingText!)));
        }

        var text = Definition(next);
        return text == existingText ? null
            : new HostStep(path, "Save the definition (autostart)", new HostChange(new WriteFile(path, text), existingText is null ? new DeleteFile(path) : new WriteFile(path, existingText)));
    }

    /// <summary>The steps still needed to bring <paramref name="net"/> up: none when it already is.</summary>
    public static IReadOnlyList<HostStep> PlanEnable(QemuNatNetwork net, NatObservation o, NatPaths paths)
    {
        var steps = new List<HostStep>();
        var cidr = $"{net.Gateway}/{net.Network.PrefixLength.ToString(CultureInfo.InvariantCulture)}";
        if (o.BridgeExists && (!o.IsBridge || !o.BridgeOwned))
        {
            throw new QemuNetException("NatBridgeNameInUse", QemuNetErrorCategory.ResourceExists, net.BridgeName,
                $"The link {net.BridgeName} exists and is not this network's bridge ({(o.IsBridge ? "a bridge QemuNet did not make" : "not a bridge")}).",
                "Give -BridgeName a name no link has yet; run 'ip link' to see the names in use.");
        }

        if (net.Uplink is not null && !o.UplinkExists)
        {
            throw new QemuNetException("NatUplinkNotFound", QemuNetErrorCategory.ObjectNotFound, net.Uplink,
                $"The uplink {net.Uplink} does not exist, so the guests of '{net.Name}' could never get out.",
                "Give -Uplink a link of this namespace (ip -br link), or leave it out to masquerade on every outgoing link.");
        }

        var cidr6 = net.Gateway6 is null ? null : $"{net.Gateway6}/{Ipv6Prefix.Length.ToString(CultureInfo.InvariantCulture)}";
        var routes = HostRoutes(net).Where(r => !o.BridgeRoutes.Contains(r.ToString())).ToArray();
        if (!o.BridgeExists)
        {
            // One program, one request a line. The kernel takes no alias when it makes a link, so the bridge is born
            // with its own MAC address instead (derived from the network, so also stable across reboots): if the batch
            // stops half-way, a link of that name without an alias is the module's only with that address. The MTU is
            // set after creation, or the bridge would follow its ports' (the kernel's "set by user"). Addresses: nodad,
            // the bridge's own prefix is unique by construction and dnsmasq's RAs need it at once.
            var mac = BridgeMacAddress(net);
            var mtu = net.Mtu is { } m ? " mtu " + m.ToString(CultureInfo.InvariantCulture) : string.Empty;
            string[] lines =
            [
                $"link add name {net.BridgeName} address {mac} type bridge",
                $"link set dev {net.BridgeName} alias {BridgeAlias(net)}{mtu} up",
                $"addr add {cidr} dev {net.BridgeName}",
                .. cidr6 is null ? Array.Empty<string>() : [$"addr add {cidr6} dev {net.BridgeName} nodad"],
                .. routes.Select(r => $"route add {r.Destination} via {r.Gateway} dev {net.BridgeName}"),
            ];
            steps.Add(new HostStep(net.BridgeName, $"Create bridge with {string.Join(" and ", new[] { cidr, cidr6 }.OfType<string>())}, up",
                new HostChange(new RunProgram("ip", ["-batch", "-"], string.Join('\n', lines) + "\n"), new DeleteOwnedLink(net.BridgeName, BridgeAlias(net)) { MacAddress = mac })
                {
                    UndoIfFailed = true,
                }));
            routes = [];
        }
        else
        {
            if (!o.BridgeHasAddress)
            {
                steps.Add(new HostStep(net.BridgeName, $"Add address {cidr}",
                    new HostChange(Ip("addr", "add", cidr, "dev", net.BridgeName), Ip(true, "addr", "del", cidr, "dev", net.BridgeName))));
            }

            if (cidr6 is not null && !o.BridgeHasAddress6)
            {
                steps.Add(new HostStep(net.BridgeName, $"Add address {cidr6}",
                    new HostChange(Ip("-6", "addr", "add", cidr6, "dev", net.BridgeName, "nodad"), Ip(true, "-6", "addr", "del", cidr6, "dev", net.BridgeName))));
            }

            if (!o.BridgeUp)
            {
                steps.Add(new HostStep(net.BridgeName, "Set link up",
                    new HostChange(Ip("link", "set", "dev", net.BridgeName, "up"), Ip(true, "link", "set", "dev", net.BridgeName, "down"))));
            }
        }

        foreach (var route in routes)
        {
            steps.Add(new HostStep(net.BridgeName, $"Route {route}",
                new HostChange(Ip("route", "add", route.Destination, "via", route.Gateway, "dev", net.BridgeName),
                    Ip(true, "route", "del", route.Destination, "via", route.Gateway, "dev", net.BridgeName))));
        }

        foreach (var tap in o.StrayTaps)
        {
            var changes = new List<HostChange>();
            if (tap.Master != net.BridgeName)
            {
                changes.Add(new HostChange(Ip("link", "set", "dev", tap.Name, "master", net.BridgeName),
                    tap.Master is null ? Ip(true, "link", "set", "dev", tap.Name, "nomaster") : Ip(true, "link", "set", "dev", tap.Name, "master", tap.Master)));
            }

            if (!tap.Up)
            {
                changes.Add(new HostChange(Ip("link", "set", "dev", tap.Name, "up"), Ip(true, "link", "set", "dev", tap.Name, "down")));
            }

            steps.Add(new HostStep(tap.Name, $"Put the TAP of VM '{tap.Vm}' back on bridge {net.BridgeName}", changes));
        }

        var recorded = net.Uplink is null ? net : net with { UplinkBridge = o.UplinkMaster };
        // An isolated network forwards nothing, so it leaves the host's forwarding as it is.
        if (o.IpForward != "1" && net.Mode != QemuNetworkMode.Isolated)
        {
            // Writing ip_forward rewrites every interface's conf.*.forwarding: the ones that were on are noted, and
            // put back after forwarding is turned off again (here on rollback, by Disable later).
            var wereOn = o.InterfaceForwarding.Where(f => f.Value == "1" && f.Key is not "all").Select(f => f.Key).Order(StringComparer.Ordinal).ToArray();
            recorded = recorded with { RestoreIpForward = true, InterfacesForwardingBefore = wereOn };
            steps.Add(new HostStep(IpForwardKey, "Turn on IPv4 forwarding",
                new HostChange(new SetSysctl(IpForwardKey, "1"), [new SetSysctl(IpForwardKey, o.IpForward), .. RestoreInterfaces(wereOn)])));
        }

        if (net.Subnet6 is not null && o.Ipv6Forward != "1" && net.Mode != QemuNetworkMode.Isolated)
        {
            // Like ip_forward: writing it rewrites every interface's own setting (and the kernel then ignores router
            // advertisements on interfaces with accept_ra=1; Enable-QemuNat warns about those).
            var wereOn = o.InterfaceIpv6Forwarding.Where(f => f.Value == "1" && f.Key is not "all").Select(f => f.Key).Order(StringComparer.Ordinal).ToArray();
            recorded = recorded with { RestoreIpv6Forward = true, InterfacesIpv6ForwardingBefore = wereOn };
            steps.Add(new HostStep(Ipv6ForwardKey, "Turn on IPv6 forwarding",
                new HostChange(new SetSysctl(Ipv6ForwardKey, "1"), [new SetSysctl(Ipv6ForwardKey, o.Ipv6Forward), .. RestoreIpv6Interfaces(wereOn)])));
        }

        var oldRecord = o.FileText(paths.Record) is { } oldText ? JsonSerializer.Deserialize<QemuNatNetwork>(oldText, Json) : null;
        var firewallCurrent = o.TableExists && o.FileText(paths.AppliedRuleset) is { } saved && saved == o.TableListing
            && oldRecord is not null && NftRuleset.Render(oldRecord) == NftRuleset.Render(recorded);
        if (!firewallCurrent)
        {
            var apply = ApplyTable(recorded, o.TableExists ? NftRuleset.ReplaceTransaction(recorded) : NftRuleset.CreateTransaction(recorded), paths);
            steps.Add(new HostStep($"nftables table inet {net.TableName}", "Install masquerade and forward rules",
                new HostChange(apply,
                    [o.TableExists && oldRecord is not null ? Nft(NftRuleset.ReplaceTransaction(oldRecord), ignore: true) : DeleteTable(recorded),
                     .. apply.UndoFiles(o.FileText(paths.AppliedRuleset))])));
        }

        AddDnsmasqStep(steps, recorded, o, paths);
        var record = Serialize(recorded);
        if (o.FileText(paths.Record) != record)
        {
            steps.Add(new HostStep(paths.Record, "Save network record", Replace(paths.Record, record, o)));
        }

        if (recorded.AutoStart && DefinitionStep(recorded, paths.Definition is null ? null : o.FileText(paths.Definition), paths) is { } definition)
        {
            steps.Add(definition);
        }

        return steps;
    }

    /// <summary>The steps that remove exactly what Enable created.</summary>
    public static IReadOnlyList<HostStep> PlanDisable(QemuNatNetwork net, NatObservation o, NatPaths paths)
    {
        var steps = new List<HostStep>();
        if (o.DnsmasqPid is not null)
        {
            steps.Add(new HostStep($"dnsmasq (pid {o.DnsmasqPid})", "Stop dnsmasq",
                new HostChange(new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, NativeMethods.SIGTERM), StartDnsmasq(paths, ignore: true))));
        }

        if (o.TableExists)
        {
            steps.Add(new HostStep($"nftables table inet {net.TableName}", "Delete firewall table",
                new HostChange(new RunProgram("nft", ["delete", "table", "inet", net.TableName]), Nft(NftRuleset.ReplaceTransaction(net), ignore: true))));
        }

        if (net.RestoreIpForward && o.Others.Count == 0 && o.IpForward == "1")
        {
            // Only interfaces that still exist get their own setting back; new ones keep what ip_forward=0 gives them.
            var restore = net.InterfacesForwardingBefore.Where(o.InterfaceForwarding.ContainsKey).ToArray();
            steps.Add(new HostStep(IpForwardKey, "Turn off IPv4 forwarding (QemuNet turned it on)",
                [new HostChange(new SetSysctl(IpForwardKey, "0"), new SetSysctl(IpForwardKey, "1")),
                 .. RestoreInterfaces(restore).Select(r => new HostChange(r))]));
        }
        else if (net.RestoreIpForward && o.Others.Count > 0)
        {
            // Another network still needs forwarding: it inherits the duty to turn it off.
            var (heir, heirPath) = o.Others[0];
            steps.Add(new HostStep(heirPath, $"Hand the IPv4 forwarding setting to network '{heir.Name}'",
                new HostChange(new WriteFile(heirPath, Serialize(heir with { RestoreIpForward = true, InterfacesForwardingBefore = net.InterfacesForwardingBefore })),
                    new WriteFile(heirPath, Serialize(heir)))));
        }

        var others6 = o.Others.Where(x => x.Network.Subnet6 is not null).ToArray();
        if (net.RestoreIpv6Forward && others6.Length == 0 && o.Ipv6Forward == "1")
        {
            var restore = net.InterfacesIpv6ForwardingBefore.Where(o.InterfaceIpv6Forwarding.ContainsKey).ToArray();
            steps.Add(new HostStep(Ipv6ForwardKey, "Turn off IPv6 forwarding (QemuNet turned it on)",
                [new HostChange(new SetSysctl(Ipv6ForwardKey, "0"), new SetSysctl(Ipv6ForwardKey, "1")),
                 .. RestoreIpv6Interfaces(restore).Select(r => new HostChange(r))]));
        }
        else if (net.RestoreIpv6Forward && others6.Length > 0)
        {
            // The heir's record as the step before may have rewritten it (the IPv4 duty), so both duties go in one write.
            var (heir, heirPath) = others6[0];
            var inheritsIpv4 = net.RestoreIpForward && o.Others.Count > 0 && o.Others[0].RecordPath == heirPath;
            var before = inheritsIpv4 ? heir with { RestoreIpForward = true, InterfacesForwardingBefore = net.InterfacesForwardingBefore } : heir;
            steps.Add(new HostStep(heirPath, $"Hand the IPv6 forwarding setting to network '{heir.Name}'",
                new HostChange(new WriteFile(heirPath, Serialize(before with { RestoreIpv6Forward = true, InterfacesIpv6ForwardingBefore = net.InterfacesIpv6ForwardingBefore })),
                    new WriteFile(heirPath, Serialize(before)))));
        }

        if (o.BridgeExists && o.BridgeOwned)
        {
            var cidr = $"{net.Gateway}/{net.Network.PrefixLength.ToString(CultureInfo.InvariantCulture)}";
            steps.Add(new HostStep(net.BridgeName, "Delete bridge",
                [new HostChange(new DeleteOwnedLink(net.BridgeName, BridgeAlias(net)),
                    // Back with the MAC it had: a bridge with a MAC of its own has no carrier until a port joins, one without does.
                    [Ip(true, "link", "add", "name", net.BridgeName, "address", o.BridgeMacAddress ?? BridgeMacAddress(net), "type", "bridge"),
                     Ip(true, "link", "set", "dev", net.BridgeName, "alias", BridgeAlias(net)),
                     .. net.Mtu is { } mtu ? [Ip(true, "link", "set", "dev", net.BridgeName, "mtu", mtu.ToString(CultureInfo.InvariantCulture))] : Array.Empty<HostAction>(),
                     // Up before the addresses, as Enable makes it: without carrier, an IPv6 address added before "up"
                     // leaves the bridge without its multicast route.
                     Ip(true, "link", "set", "dev", net.BridgeName, "up"),
                     Ip(true, "addr", "add", cidr, "dev", net.BridgeName),
                     .. net.Gateway6 is { } gw6 ? [Ip(true, "-6", "addr", "add", $"{gw6}/{Ipv6Prefix.Length.ToString(CultureInfo.InvariantCulture)}", "dev", net.BridgeName, "nodad")] : Array.Empty<HostAction>(),
                     .. HostRoutes(net).Select(r => Ip(true, "route", "add", r.Destination, "via", r.Gateway, "dev", net.BridgeName))])]));
        }

        if (paths.Definition is not null && o.FileText(paths.Definition) is { } definitionText)
        {
            // Disable undefines: a network removed by hand does not come back at the next boot.
            steps.Add(new HostStep(paths.Definition, "Remove the definition (autostart)",
                new HostChange(new DeleteFile(paths.Definition), new WriteFile(paths.Definition, definitionText))));
        }

        var files = paths.AllFiles.Where(o.Files.ContainsKey).ToList();
        if (files.Count > 0)
        {
            steps.Add(new HostStep(paths.Directory, $"Remove the network's files ({string.Join(", ", files.Select(Path.GetFileName))})",
                files.Select(f => new HostChange(new DeleteFile(f), new WriteFile(f, o.Files[f]))).ToArray()));
        }

        return steps;
    }

    /// <summary>Steps that change only reservations and forwards of an active network.</summary>
    public static IReadOnlyList<HostStep> PlanUpdate(QemuNatNetwork current, QemuNatNetwork next, NatPaths paths, string? definitionText = null, string? appliedBefore = null)
    {
        var steps = new List<HostStep>();
        if (NftRuleset.Render(current) != NftRuleset.Render(next))
        {
            var apply = ApplyTable(next, NftRuleset.ReplaceTransaction(next), paths);
            steps.Add(new HostStep($"nftables table inet {next.TableName}", "Replace firewall rules (port forwards)",
                new HostChange(apply, [Nft(NftRuleset.ReplaceTransaction(current), ignore: true), .. apply.UndoFiles(appliedBefore)])));
        }

        if (DnsmasqConfig.RenderHosts(current) != DnsmasqConfig.RenderHosts(next) || DnsmasqConfig.RenderAddnHosts(current) != DnsmasqConfig.RenderAddnHosts(next))
        {
            var reload = new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, 1);
            var records = !next.DnsRecords.SequenceEqual(current.DnsRecords);
            steps.Add(new HostStep(records ? paths.AddnHostsFile : paths.HostsFile,
                records ? "Update DNS records and reload dnsmasq (SIGHUP)" : "Update DHCP reservations and reload dnsmasq (SIGHUP)",
                new HostChange(new WriteFile(paths.HostsFile, DnsmasqConfig.RenderHosts(next)), new WriteFile(paths.HostsFile, DnsmasqConfig.RenderHosts(current))),
                new HostChange(new WriteFile(paths.AddnHostsFile, DnsmasqConfig.RenderAddnHosts(next)), new WriteFile(paths.AddnHostsFile, DnsmasqConfig.RenderAddnHosts(current))),
                new HostChange(reload, reload)));
        }

        // The definition changes in the same plan as the network, so a reboot brings back what was last applied.
        if (DefinitionStep(next, definitionText, paths) is { } definition)
        {
            steps.Add(definition);
        }

        steps.Add(new HostStep(paths.Record, "Save network record",
            new HostChange(new WriteFile(paths.Record, Serialize(next)), new WriteFile(paths.Record, Serialize(current)))));
        return steps;
    }

    private static void AddDnsmasqStep(List<HostStep> steps, QemuNatNetwork net, NatObservation o, NatPaths paths)
    {
        if (!net.Dhcp && !net.Dns && net.Subnet6 is null)
        {
            return;
        }

        var conf = DnsmasqConfig.Render(net, paths);
        var hosts = DnsmasqConfig.RenderHosts(net);
        var addn = DnsmasqConfig.RenderAddnHosts(net);
        if (o.DnsmasqPid is not null && o.FileText(paths.DnsmasqConf) == conf && o.FileText(paths.HostsFile) == hosts && o.FileText(paths.AddnHostsFile) == addn)
        {
            return;
        }

        var changes = new List<HostChange>();
        if (o.DnsmasqPid is not null)
        {
            changes.Add(new HostChange(new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, NativeMethods.SIGTERM), StartDnsmasq(paths, ignore: true)));
        }

        changes.Add(Replace(paths.DnsmasqConf, conf, o));
        changes.Add(Replace(paths.HostsFile, hosts, o));
        changes.Add(Replace(paths.AddnHostsFile, addn, o));
        if (o.FileText(paths.Leases) is null)
        {
            // Made before dnsmasq starts: a start that fails (its port taken) leaves the file it made, and a failed
            // change's undo never runs, so the file is this earlier change's to undo.
            changes.Add(new HostChange(new WriteFile(paths.Leases, string.Empty), new DeleteFile(paths.Leases)));
        }

        changes.Add(new HostChange(StartDnsmasq(paths, ignore: false),
            new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, NativeMethods.SIGTERM), new DeleteFile(paths.DnsmasqPid)));
        steps.Add(new HostStep($"dnsmasq on {net.BridgeName}", $"Start dnsmasq for DHCP{(net.Dns ? " and DNS" : string.Empty)}", changes));
    }

    /// <summary>Writes a file; the undo puts back what was there (or removes it when nothing was).</summary>
    private static HostChange Replace(string path, string text, NatObservation o) =>
        new(new WriteFile(path, text), o.FileText(path) is { } old ? new WriteFile(path, old) : new DeleteFile(path));

    private static RunProgram StartDnsmasq(NatPaths paths, bool ignore) => new("dnsmasq", ["--conf-file=" + paths.DnsmasqConf], IgnoreFailure: ignore);

    private static RunProgram Nft(string transaction, bool ignore = false) => new("nft", ["-f", "-"], transaction, ignore);

    private static ApplyNftTable ApplyTable(QemuNatNetwork net, string transaction, NatPaths paths) => new("inet", net.TableName, transaction, paths.AppliedRuleset);

    private static RunProgram DeleteTable(QemuNatNetwork net) => new("nft", ["delete", "table", "inet", net.TableName], IgnoreFailure: true);

    private static RunProgram Ip(params string[] args) => new("ip", args);

    private static RunProgram Ip(bool ignore, params string[] args) => new("ip", args, IgnoreFailure: ignore);
}
