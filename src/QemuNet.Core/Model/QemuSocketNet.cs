using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace QemuNet.Core.Model;

/// <summary>How a socket backend meets its peer.</summary>
public enum QemuSocketMode
{
    /// <summary>Wait for another QEMU to connect (listen=[host]:port).</summary>
    Listen,

    /// <summary>Connect to another QEMU that listens (connect=host:port).</summary>
    Connect,

    /// <summary>Join a multicast group every guest of the segment joins (mcast=group:port).</summary>
    Mcast,

    /// <summary>Send datagrams to one peer and receive them on a local port (udp=host:port,localaddr=host:port).</summary>
    Udp,
}

/// <summary>
/// A socket backend (-net socket): joins guests' Ethernet segments across QEMU processes over TCP, UDP or
/// multicast, without root and without touching the host's links.
/// </summary>
public sealed record QemuSocketNet : QemuNetBackend
{
    public override QemuBackendKind Kind => QemuBackendKind.Socket;

    public QemuSocketMode Mode { get; init; }

    /// <summary>host:port (for Listen the host may be empty: every address).</summary>
    public string Address { get; init; } = string.Empty;

    /// <summary>Mcast: the local address to send from (no port); Udp: the local host:port to receive on.</summary>
    public string? LocalAddress { get; init; }

    public static QemuSocketNet Create(string? id, QemuSocketMode mode, string address, string? localAddress, int? hub)
    {
        if (id is not null)
        {
            QemuId.Check(id, "SocketNetIdInvalid");
        }

        CheckHub(hub, "SocketNetHubInvalid");
        var (host, _) = SplitHostPort(address, "SocketNetAddressInvalid", allowEmptyHost: mode == QemuSocketMode.Listen);
        if (mode == QemuSocketMode.Mcast && !(IPAddress.TryParse(host, out var group) && group.AddressFamily == AddressFamily.InterNetwork && (group.GetAddressBytes()[0] & 0xf0) == 0xe0))
        {
            throw new QemuNetException("SocketNetAddressInvalid", QemuNetErrorCategory.InvalidArgument, address,
                $"'{address}' is not a multicast group and port; -Mcast needs an IPv4 group of 224.0.0.0/4.",
                "Give -Mcast a group and port, e.g. 230.0.0.1:1234.");
        }

        switch (mode)
        {
            case QemuSocketMode.Udp when localAddress is null:
                throw new QemuNetException("SocketNetLocalAddressMissing", QemuNetErrorCategory.InvalidArgument, address,
                    "-Udp needs -LocalAddress, the host:port this guest receives on (QEMU's localaddr=).",
                    "Add -LocalAddress, e.g. -Udp 203.0.113.2:5000 -LocalAddress 203.0.113.1:5000.");
            case QemuSocketMode.Udp:
                SplitHostPort(localAddress, "SocketNetLocalAddressInvalid", allowEmptyHost: false);
                break;
            case QemuSocketMode.Mcast when localAddress is not null && !IPAddress.TryParse(localAddress, out _):
                throw new QemuNetException("SocketNetLocalAddressInvalid", QemuNetErrorCategory.InvalidArgument, localAddress,
                    $"'{localAddress}' is not an IPv4 address to send the multicast from.",
                    "Give -LocalAddress a local IPv4 address (no port), or leave it out.");
            case QemuSocketMode.Listen or QemuSocketMode.Connect when localAddress is not null:
                throw new QemuNetException("SocketNetLocalAddressInvalid", QemuNetErrorCategory.InvalidArgument, localAddress,
                    "-LocalAddress belongs to -Mcast and -Udp only.", "Leave -LocalAddress out for -Listen and -Connect.");
        }

        return new QemuSocketNet { Id = id, Mode = mode, Address = address, LocalAddress = localAddress, Hub = hub };
    }

    /// <summary>QEMU's own key for the mode: listen, connect, mcast or udp.</summary>
    public string ModeKey => Mode.ToString().ToLowerInvariant();

    public override string ToString() => $"socket {ModeKey} {Address}" + (Hub is { } hub ? $" on hub {hub}" : string.Empty);

    private static (string Host, int Port) SplitHostPort(string value, string errorId, bool allowEmptyHost)
    {
        var colon = value.LastIndexOf(':');
        var host = colon < 0 ? value : value[..colon];
        var ok = colon >= 0 && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            && (host.Length == 0 ? allowEmptyHost : IPAddress.TryParse(host, out var ip) ? ip.AddressFamily == AddressFamily.InterNetwork : DnsName.IsName(host));
        if (!ok)
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is not a host:port (an IPv4 address or a DNS name, a colon, a port from 1 to 65535{(allowEmptyHost ? "; the host may be left out" : string.Empty)}).",
                "Give the address as host:port, e.g. 203.0.113.2:5000" + (allowEmptyHost ? " or :5000." : "."));
        }

        return (host, int.Parse(value[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
