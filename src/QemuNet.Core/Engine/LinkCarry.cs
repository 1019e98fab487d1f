using System.Globalization;
using System.Text.Json;

namespace QemuNet.Core.Engine;

/// <summary>
/// An address to move, with everything `ip addr add` can give it back: broadcast, label (kept as its suffix, so
/// up0:1 becomes br0:1), secondary (the kernel's order: a subnet's primary before its secondaries), the remaining
/// lifetimes of a finite (DHCP) address, and flags such as noprefixroute or nodad.
/// </summary>
public sealed record LinkAddress(bool IPv6, string Local, int PrefixLength, string? Broadcast, bool Dynamic = false)
{
    public const long Forever = 4294967295;

    /// <summary>The part of the label after the link name (":1" of "up0:1"), or null when the label is the link's name.</summary>
    public string? LabelSuffix { get; init; }

    public bool Secondary { get; init; }

    /// <summary>Seconds left, or null for forever.</summary>
    public long? ValidLifetime { get; init; }

    public long? PreferredLifetime { get; init; }

    /// <summary>`ip addr add` flags the address carries (home, mngtmpaddr, nodad, optimistic, noprefixroute, autojoin).</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    public string Cidr => $"{Local}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A SLAAC (router-advertised) IPv6 address: the kernel makes those itself on each link.</summary>
    public bool FromRouterAdvertisement => IPv6 && Dynamic;

    public IReadOnlyList<string> AddArguments(string dev)
    {
        var args = new List<string>(Family) { "addr", "add", Cidr };
        if (Broadcast is not null)
        {
            args.AddRange(["broadcast", Broadcast]);
        }

        if (LabelSuffix is not null)
        {
            args.AddRange(["label", dev + LabelSuffix]);
        }

        args.AddRange(["dev", dev]);
        if (ValidLifetime is not null || PreferredLifetime is not null)
        {
            args.AddRange(["valid_lft", Lifetime(ValidLifetime), "preferred_lft", Lifetime(PreferredLifetime)]);
        }

        args.AddRange(Flags);
        return args;
    }

    public IReadOnlyList<string> DeleteArguments(string dev) => [.. Family, "addr", "del", Cidr, "dev", dev];

    private static string Lifetime(long? seconds) => seconds is null ? "forever" : seconds.Value.ToString(CultureInfo.InvariantCulture);

    private string[] Family => IPv6 ? ["-6"] : [];
}

/// <summary>
/// A route through a link that the kernel does not make by itself (not proto kernel/ra, not the local table's):
/// in any table, with its type, metric, metrics such as mtu, protocol, scope, source and onlink.
/// </summary>
public sealed record LinkRoute(bool IPv6, string Destination, string? Gateway, int? Metric, string? Protocol, string? Scope, string? PreferredSource, bool OnLink)
{
    /// <summary>The table, or null for main.</summary>
    public string? Table { get; init; }

    /// <summary>Route metrics as `ip route` takes them ("mtu 1400", "advmss 1360"), in order.</summary>
    public IReadOnlyList<string> Metrics { get; init; } = [];

    public IReadOnlyList<string> Arguments(string verb, string dev)
    {
        var args = new List<string>();
        if (IPv6)
        {
            args.Add("-6");
        }

        args.AddRange(["route", verb, Destination]);
        if (Gateway is not null)
        {
            args.AddRange(["via", Gateway]);
        }

        args.AddRange(["dev", dev]);
        if (Table is not null)
        {
            args.AddRange(["table", Table]);
        }

        if (Metric is not null)
        {
            args.AddRange(["metric", Metric.Value.ToString(CultureInfo.InvariantCulture)]);
        }

        if (verb == "add")
        {
            if (Protocol is not null)
            {
                args.AddRange(["proto", Protocol]);
            }

            if (Scope is not null)
            {
                args.AddRange(["scope", Scope]);
            }

            if (PreferredSource is not null)
            {
                args.AddRange(["src", PreferredSource]);
            }

            foreach (var metric in Metrics)
            {
                args.AddRange(metric.Split(' '));
            }

            if (OnLink)
            {
                args.Add("onlink");
            }
        }

        return args;
    }
}

/// <summary>A policy rule that names the link (iif or oif): it must name the bridge once the link is a port.</summary>
public sealed record LinkRule(bool IPv6, int Priority, string? From, string? To, string? InputInterface, string? OutputInterface, string? FwMark, string Table)
{
    public IReadOnlyList<string> Arguments(string verb, string? oldDev, string newDev)
    {
        var args = new List<string>();
        if (IPv6)
        {
            args.Add("-6");
        }

        args.AddRange(["rule", verb, "priority", Priority.ToString(CultureInfo.InvariantCulture)]);
        if (From is not null)
        {
            args.AddRange(["from", From]);
        }

        if (To is not null)
        {
            args.AddRange(["to", To]);
        }

        if (InputInterface is not null)
        {
            args.AddRange(["iif", InputInterface == oldDev ? newDev : InputInterface]);
        }

        if (OutputInterface is not null)
        {
            args.AddRange(["oif", OutputInterface == oldDev ? newDev : OutputInterface]);
        }

        if (FwMark is not null)
        {
            args.AddRange(["fwmark", FwMark]);
        }

        args.AddRange(["lookup", Table]);
        return args;
    }
}

/// <summary>A permanent (static) neighbour entry on the link.</summary>
public sealed record LinkNeighbour(bool IPv6, string Address, string LinkAddress)
{
    public IReadOnlyList<string> AddArguments(string dev) => [.. Family, "neigh", "add", Address, "lladdr", LinkAddress, "dev", dev, "nud", "permanent"];

    public IReadOnlyList<string> DeleteArguments(string dev) => [.. Family, "neigh", "del", Address, "dev", dev];

    private string[] Family => IPv6 ? ["-6"] : [];
}

/// <summary>
/// Everything a link carries that a move to a bridge must take along: addresses, routes in every table, policy
/// rules naming it, permanent neighbours; plus what cannot be moved faithfully (refused) and what the kernel
/// makes itself from router advertisements (left, with a warning).
/// </summary>
public sealed record LinkCarry(IReadOnlyList<LinkAddress> Addresses, IReadOnlyList<LinkRoute> Routes)
{
    public static readonly LinkCarry None = new([], []);

    public IReadOnlyList<LinkRule> Rules { get; init; } = [];

    public IReadOnlyList<LinkNeighbour> Neighbours { get; init; } = [];

    /// <summary>What no move can keep as it is (a multipath route with a nexthop on the link, a rule QemuNet cannot rewrite).</summary>
    public IReadOnlyList<string> Unmovable { get; init; } = [];

    /// <summary>IPv6 addresses and routes the kernel made from router advertisements: left where they are.</summary>
    public IReadOnlyList<string> LeftToKernel { get; init; } = [];

    /// <summary>What is moved, in the order it goes.</summary>
    public IReadOnlyList<LinkAddress> MovedAddresses => Addresses.Where(a => !a.FromRouterAdvertisement).ToArray();

    public static async Task<LinkCarry> ReadAsync(HostContext host, string name, CancellationToken ct)
    {
        var addresses = await ReadAddressesAsync(host, name, ct).ConfigureAwait(false);
        var routes = new List<LinkRoute>();
        var left = addresses.Where(a => a.FromRouterAdvertisement).Select(a => $"address {a.Cidr} (SLAAC)").ToList();
        var unmovable = new List<string>();
        foreach (var v6 in new[] { false, true })
        {
            var family = v6 ? "-6" : "-4";
            var mine = await host.RunAsync("ip", [family, "-json", "-details", "route", "show", "table", "all", "dev", name], ct).ConfigureAwait(false);
            foreach (var r in JsonDocument.Parse(mine.StandardOutput).RootElement.EnumerateArray())
            {
                var protocol = HostLinks.Text(r, "protocol");
                var type = HostLinks.Text(r, "type");
                if (protocol == "kernel" || type is "local" or "broadcast" or "multicast" or "anycast" || HostLinks.Text(r, "table") == "local")
                {
                    continue;
                }

                var dst = r.GetProperty("dst").GetString()!;
                if (protocol == "ra")
                {
                    left.Add($"route {dst} (router advertisement)");
                    continue;
                }

                if (type is not (null or "unicast"))
                {
                    unmovable.Add($"route {dst} of type {type}");
                    continue;
                }

                var flags = r.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()).ToArray() : [];
                var table = HostLinks.Text(r, "table");
                routes.Add(new LinkRoute(v6, dst, HostLinks.Text(r, "gateway"),
                    r.TryGetProperty("metric", out var m) ? m.GetInt32() : null,
                    protocol is null or "boot" ? null : protocol, HostLinks.Text(r, "scope") is "global" or null ? null : HostLinks.Text(r, "scope"),
                    HostLinks.Text(r, "prefsrc"), flags.Contains("onlink"))
                {
                    Table = table is null or "main" ? null : table,
                    Metrics = r.TryGetProperty("metrics", out var metrics) ? ReadMetrics(metrics) : [],
                });
            }

            // A multipath route lists its nexthops apart; `dev NAME` does not find it, so look at all of them.
            var all = await host.RunAsync("ip", [family, "-json", "route", "show", "table", "all"], ct).ConfigureAwait(false);
            foreach (var r in JsonDocument.Parse(all.StandardOutput).RootElement.EnumerateArray())
            {
                if (r.TryGetProperty("nexthops", out var hops) && hops.EnumerateArray().Any(h => HostLinks.Text(h, "dev") == name))
                {
                    unmovable.Add($"multipath route {HostLinks.Text(r, "dst")} (a nexthop is on {name})");
                }
            }
        }

        var rules = new List<LinkRule>();
        foreach (var v6 in new[] { false, true })
        {
            var listed = await host.RunAsync("ip", [v6 ? "-6" : "-4", "-json", "rule", "show"], ct).ConfigureAwait(false);
            foreach (var r in JsonDocument.Parse(listed.StandardOutput).RootElement.EnumerateArray())
            {
                if (HostLinks.Text(r, "iif") != name && HostLinks.Text(r, "oif") != name)
                {
                    continue;
                }

                var known = new HashSet<string>(StringComparer.Ordinal) { "priority", "src", "srclen", "dst", "dstlen", "iif", "oif", "fwmark", "table" };
                var names = r.EnumerateObject().Select(p => p.Name).ToArray();
                if (names.Any(n => !known.Contains(n)) || HostLinks.Text(r, "table") is null)
                {
                    unmovable.Add($"rule {r.GetProperty("priority").GetInt32().ToString(CultureInfo.InvariantCulture)} ({string.Join(", ", names.Where(n => !known.Contains(n)).DefaultIfEmpty("no table"))})");
                    continue;
                }

                rules.Add(new LinkRule(v6, r.GetProperty("priority").GetInt32(), Prefix(r, "src", "srclen"), Prefix(r, "dst", "dstlen"),
                    HostLinks.Text(r, "iif"), HostLinks.Text(r, "oif"), HostLinks.Text(r, "fwmark"), HostLinks.Text(r, "table")!));
            }
        }

        var neighbours = new List<LinkNeighbour>();
        var neigh = await host.RunAsync("ip", ["-json", "neigh", "show", "dev", name, "nud", "permanent"], ct).ConfigureAwait(false);
        foreach (var n in JsonDocument.Parse(neigh.StandardOutput is { Length: > 0 } text ? text : "[]").RootElement.EnumerateArray())
        {
            if (HostLinks.Text(n, "lladdr") is { } lladdr)
            {
                var address = n.GetProperty("dst").GetString()!;
                neighbours.Add(new LinkNeighbour(address.Contains(':', StringComparison.Ordinal), address, lladdr));
            }
        }

        return new LinkCarry(addresses, routes) { Rules = rules, Neighbours = neighbours, Unmovable = unmovable, LeftToKernel = left };
    }

    /// <summary>Global-scope addresses, in the kernel's order (each subnet's primary before its secondaries).</summary>
    public static async Task<IReadOnlyList<LinkAddress>> ReadAddressesAsync(HostContext host, string name, CancellationToken ct)
    {
        var result = await host.RunAsync("ip", ["-json", "addr", "show", "dev", name], ct).ConfigureAwait(false);
        return JsonDocument.Parse(result.StandardOutput).RootElement.EnumerateArray().SelectMany(link => ParseAddresses(link, name)).ToArray();
    }

    /// <summary>The global addresses of one link of `ip -json addr show` output.</summary>
    internal static IReadOnlyList<LinkAddress> ParseAddresses(JsonElement link, string name)
    {
        var list = new List<LinkAddress>();
        if (link.TryGetProperty("addr_info", out var infos))
        {
            foreach (var a in infos.EnumerateArray())
            {
                var family = a.GetProperty("family").GetString();
                if (family is not ("inet" or "inet6") || HostLinks.Text(a, "scope") != "global")
                {
                    continue;
                }

                var label = HostLinks.Text(a, "label");
                var valid = a.TryGetProperty("valid_life_time", out var v) ? v.GetInt64() : LinkAddress.Forever;
                var preferred = a.TryGetProperty("preferred_life_time", out var p) ? p.GetInt64() : LinkAddress.Forever;
                list.Add(new LinkAddress(family == "inet6", a.GetProperty("local").GetString()!, a.GetProperty("prefixlen").GetInt32(), HostLinks.Text(a, "broadcast"), True(a, "dynamic"))
                {
                    LabelSuffix = label is not null && label != name && label.StartsWith(name + ":", StringComparison.Ordinal) ? label[name.Length..] : null,
                    Secondary = True(a, "secondary"),
                    ValidLifetime = valid >= LinkAddress.Forever ? null : valid,
                    PreferredLifetime = preferred >= LinkAddress.Forever ? null : preferred,
                    Flags = new[] { "home", "mngtmpaddr", "nodad", "optimistic", "noprefixroute", "autojoin" }.Where(flag => True(a, flag)).ToArray(),
                });
            }
        }

        return list;
    }

    private static bool True(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static string? Prefix(JsonElement r, string address, string length) =>
        HostLinks.Text(r, address) is not { } a || a == "all" ? null
        : r.TryGetProperty(length, out var l) ? $"{a}/{l.GetInt32().ToString(CultureInfo.InvariantCulture)}" : a;

    private static IReadOnlyList<string> ReadMetrics(JsonElement metrics)
    {
        var list = new List<string>();
        foreach (var item in metrics.EnumerateArray())
        {
            foreach (var property in item.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Number)
                {
                    list.Add($"{property.Name} {property.Value.GetInt64().ToString(CultureInfo.InvariantCulture)}");
                }
            }
        }

        return list;
    }
}
