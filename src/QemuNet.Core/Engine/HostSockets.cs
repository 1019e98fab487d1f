using System.Globalization;

namespace QemuNet.Core.Engine;

/// <summary>A socket bound in a namespace, as /proc/net/{tcp,udp}[6] list it (TCP only when listening).</summary>
public sealed record BoundSocket(string Protocol, int Port, string Address = "0.0.0.0")
{
    /// <summary>Bound to every address (0.0.0.0 or ::).</summary>
    public bool IsWildcard => Address is "0.0.0.0" or "::";

    public bool IsLoopback => System.Net.IPAddress.TryParse(Address, out var ip) && System.Net.IPAddress.IsLoopback(ip);
}

public static class HostSockets
{
    /// <summary>The TCP ports listened on and the UDP ports bound in the host context's namespace.</summary>
    public static async Task<IReadOnlyList<BoundSocket>> ListAsync(HostContext host, CancellationToken ct)
    {
        var found = new List<BoundSocket>();
        foreach (var (file, protocol, listenOnly) in new[] { ("udp", "udp", false), ("udp6", "udp", false), ("tcp", "tcp", true), ("tcp6", "tcp", true) })
        {
            var table = await host.ReadFileAsync($"/proc/net/{file}", ct).ConfigureAwait(false) ?? string.Empty;
            foreach (var line in table.Split('\n').Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || (listenOnly && fields[3] != "0A"))
                {
                    continue;
                }

                var local = fields[1];
                var colon = local.LastIndexOf(':');
                found.Add(new BoundSocket(protocol, int.Parse(local[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ParseAddress(local[..colon])));
            }
        }

        return found.Distinct().ToArray();
    }

    /// <summary>
    /// /proc/net's hex address: IPv4 as one little-endian word, IPv6 as four; an IPv4-mapped IPv6 address
    /// (::ffff:a.b.c.d) comes back as IPv4.
    /// </summary>
    public static string ParseAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        var ip = new System.Net.IPAddress(bytes);
        return (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
    }
}
