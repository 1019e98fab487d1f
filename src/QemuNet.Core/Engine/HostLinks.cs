using System.Globalization;
using System.Text.Json;

namespace QemuNet.Core.Engine;

/// <summary>One link as `ip -json -details link show` reports it.</summary>
public sealed record LinkState(string Name, string? Kind, string? Master, string? MacAddress, bool Up, bool Loopback)
{
    /// <summary>The link's alias (ifalias): QemuNet marks the links it makes with one.</summary>
    public string? Alias { get; init; }
}

/// <summary>An address to move: family, local/prefix and broadcast as `ip addr add` takes them.</summary>
public sealed record LinkAddress(bool IPv6, string Local, int PrefixLength, string? Broadcast, bool Dynamic = false)
{
    public string Cidr => $"{Local}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public IReadOnlyList<string> AddArguments(string dev) =>
        [.. Family, "addr", "add", Cidr, .. Broadcast is null ? Array.Empty<string>() : ["broadcast", Broadcast], "dev", dev, .. IPv6 ? new[] { "nodad" } : []];

    public IReadOnlyList<string> DeleteArguments(string dev) => [.. Family, "addr", "del", Cidr, "dev", dev];

    private string[] Family => IPv6 ? ["-6"] : [];
}

/// <summary>A route through a link that the kernel does not make by itself (not proto kernel/ra): it must be moved by hand.</summary>
public sealed record LinkRoute(bool IPv6, string Destination, string? Gateway, int? Metric, string? Protocol, string? Scope, string? PreferredSource, bool OnLink)
{
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

            if (OnLink)
            {
                args.Add("onlink");
            }
        }

        return args;
    }
}

/// <summary>Reads links, addresses and routes through `ip -json`, in the host context's namespace.</summary>
public static class HostLinks
{
    public static async Task<LinkState?> GetAsync(HostContext host, string name, CancellationToken ct)
    {
        var result = await host.RunAsync("ip", ["-json", "-details", "link", "show", "dev", name], ct, throwOnFailure: false).ConfigureAwait(false);
        if (!result.Succeeded || JsonDocument.Parse(result.StandardOutput).RootElement is not { ValueKind: JsonValueKind.Array } links || links.GetArrayLength() == 0)
        {
            return null;
        }

        return ToLink(links[0]);
    }

    public static async Task<IReadOnlyList<LinkState>> ListAsync(HostContext host, IReadOnlyList<string> filter, CancellationToken ct)
    {
        var result = await host.RunAsync("ip", ["-json", "-details", "link", "show", .. filter], ct).ConfigureAwait(false);
        return JsonDocument.Parse(result.StandardOutput).RootElement.EnumerateArray().Select(ToLink).ToArray();
    }

    /// <summary>The names of the ports of a bridge; none when it does not exist.</summary>
    public static async Task<IReadOnlyList<string>> GetPortsAsync(HostContext host, string bridge, CancellationToken ct)
    {
        var result = await host.RunAsync("ip", ["-json", "link", "show", "master", bridge], ct, throwOnFailure: false).ConfigureAwait(false);
        return result.Succeeded && result.StandardOutput.Trim().Length > 0
            ? JsonDocument.Parse(result.StandardOutput).RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).ToArray()
            : [];
    }

    /// <summary>Global-scope IPv4 and IPv6 addresses (link-local ones belong to each link and are never moved).</summary>
    public static async Task<IReadOnlyList<LinkAddress>> GetAddressesAsync(HostContext host, string name, CancellationToken ct)
    {
        var result = await host.RunAsync("ip", ["-json", "addr", "show", "dev", name], ct).ConfigureAwait(false);
        var list = new List<LinkAddress>();
        foreach (var link in JsonDocument.Parse(result.StandardOutput).RootElement.EnumerateArray())
        {
            if (!link.TryGetProperty("addr_info", out var infos))
            {
                continue;
            }

            foreach (var a in infos.EnumerateArray())
            {
                var family = a.GetProperty("family").GetString();
                if (family is not ("inet" or "inet6") || Text(a, "scope") != "global")
                {
                    continue;
                }

                list.Add(new LinkAddress(family == "inet6", a.GetProperty("local").GetString()!, a.GetProperty("prefixlen").GetInt32(), Text(a, "broadcast"),
                    a.TryGetProperty("dynamic", out var dynamic) && dynamic.ValueKind == JsonValueKind.True));
            }
        }

        return list;
    }

    /// <summary>IPv4 and IPv6 routes of the main table through <paramref name="name"/> that the kernel will not recreate itself.</summary>
    public static async Task<IReadOnlyList<LinkRoute>> GetMovableRoutesAsync(HostContext host, string name, CancellationToken ct)
    {
        var routes = new List<LinkRoute>();
        foreach (var v6 in new[] { false, true })
        {
            var result = await host.RunAsync("ip", [v6 ? "-6" : "-4", "-json", "route", "show", "table", "main", "dev", name], ct).ConfigureAwait(false);
            foreach (var r in JsonDocument.Parse(result.StandardOutput).RootElement.EnumerateArray())
            {
                var protocol = Text(r, "protocol");
                if (protocol is "kernel" or "ra" || Text(r, "type") is { } type && type != "unicast")
                {
                    continue;
                }

                var flags = r.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()).ToArray() : [];
                routes.Add(new LinkRoute(v6, r.GetProperty("dst").GetString()!, Text(r, "gateway"),
                    r.TryGetProperty("metric", out var m) ? m.GetInt32() : null,
                    protocol is null or "boot" ? null : protocol, Text(r, "scope") is "global" or null ? null : Text(r, "scope"),
                    Text(r, "prefsrc"), flags.Contains("onlink")));
            }
        }

        return routes;
    }

    private static LinkState ToLink(JsonElement l)
    {
        var kind = l.TryGetProperty("linkinfo", out var info) && info.TryGetProperty("info_kind", out var k) ? k.GetString() : null;
        var flags = l.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()).ToArray() : [];
        return new LinkState(l.GetProperty("ifname").GetString()!, kind, Text(l, "master"), Text(l, "address"), flags.Contains("UP"), flags.Contains("LOOPBACK"))
        {
            Alias = Text(l, "ifalias"),
        };
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
