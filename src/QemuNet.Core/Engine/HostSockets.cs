using System.Globalization;

namespace QemuNet.Core.Engine;

/// <summary>A socket bound in a namespace, as /proc/net/{tcp,udp}[6] list it (TCP only when listening).</summary>
public sealed record BoundSocket(string Protocol, int Port);

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
                found.Add(new BoundSocket(protocol, int.Parse(local[(local.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }

        return found.Distinct().ToArray();
    }
}
