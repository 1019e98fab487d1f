using System.Globalization;
using System.Text.Json;

namespace QemuNet.Core.Engine;

/// <summary>One link as `ip -json -details link show` reports it.</summary>
public sealed record LinkState(string Name, string? Kind, string? Master, string? MacAddress, bool Up, bool Loopback)
{
    public int? Mtu { get; init; }

    /// <summary>The link's alias (ifalias): QemuNet marks the links it makes with one.</summary>
    public string? Alias { get; init; }
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

    /// <summary>Global-scope IPv4 and IPv6 addresses (link-local ones belong to each link and are never moved), in the kernel's order.</summary>
    public static Task<IReadOnlyList<LinkAddress>> GetAddressesAsync(HostContext host, string name, CancellationToken ct) => LinkCarry.ReadAddressesAsync(host, name, ct);

    internal static LinkState ToLink(JsonElement l)
    {
        var kind = l.TryGetProperty("linkinfo", out var info) && info.TryGetProperty("info_kind", out var k) ? k.GetString() : null;
        var flags = l.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()).ToArray() : [];
        return new LinkState(l.GetProperty("ifname").GetString()!, kind, Text(l, "master"), Text(l, "address"), flags.Contains("UP"), flags.Contains("LOOPBACK"))
        {
            Alias = Text(l, "ifalias"),
            Mtu = l.TryGetProperty("mtu", out var mtu) && mtu.ValueKind == JsonValueKind.Number ? mtu.GetInt32() : null,
        };
    }

    internal static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
