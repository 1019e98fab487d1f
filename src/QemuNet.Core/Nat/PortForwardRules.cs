using QemuNet.Core.Engine;
using QemuNet.Core.Model;

namespace QemuNet.Core.Nat;

/// <summary>
/// What a new port forward must not take: a host address a forward cannot use, a port another QemuNet network or
/// a running user-mode guest already forwards, a port a local program listens on, or the guests' own DNS/DHCP.
/// </summary>
public static class PortForwardRules
{
    /// <summary>Loopback (which DNAT cannot reach without route_localnet), and addresses that are not one host's.</summary>
    public static void CheckHostAddress(string hostAddress)
    {
        if (Ipv6Prefix.TryParseAddress(hostAddress, out var address6))
        {
            var why = System.Net.IPAddress.IsLoopback(address6) ? "it is the loopback address, which DNAT cannot reach"
                : address6.Equals(System.Net.IPAddress.IPv6Any) ? "it means 'any'"
                : address6.IsIPv6Multicast ? "it is a multicast group"
                : address6.IsIPv6LinkLocal ? "it is link-local, the same on every link"
                : null;
            if (why is not null)
            {
                throw new QemuNetException(System.Net.IPAddress.IsLoopback(address6) ? "NatForwardHostAddressLoopback" : "NatForwardHostAddressNotUnicast",
                    QemuNetErrorCategory.InvalidArgument, hostAddress, $"A port forward cannot listen on {hostAddress}: {why}.",
                    "Leave -HostAddress out (every local address but loopback), or give one of the host's global IPv6 addresses.");
            }

            return;
        }

        var address = Ipv4Network.ParseAddress(hostAddress, "NatForwardHostAddressInvalid");
        if (address >> 24 == 127)
        {
            throw new QemuNetException("NatForwardHostAddressLoopback", QemuNetErrorCategory.InvalidArgument, hostAddress,
                $"A port forward cannot listen on the loopback address {hostAddress}: DNAT of loopback traffic to a guest works only with "
                + "net.ipv4.conf.*.route_localnet=1, which opens the host's loopback-only services to its network (CVE-2020-8558).",
                "Leave -HostAddress out (every local address but loopback), or give one of the host's other addresses; connect to that address from the host too.");
        }

        if (address == 0 || address == uint.MaxValue || address >> 28 == 0xE)
        {
            throw new QemuNetException("NatForwardHostAddressNotUnicast", QemuNetErrorCategory.InvalidArgument, hostAddress,
                $"{hostAddress} is not one host address ({(address == 0 ? "it means 'any'" : address == uint.MaxValue ? "it is the broadcast address" : "it is a multicast group")}), so no connection could be forwarded from it.",
                "Leave -HostAddress out to forward on every local address but loopback, or give one of the host's addresses.");
        }
    }

    /// <summary>A forward without a host address on the guests' DNS (53) or DHCP (UDP 67) would take those from the guests too.</summary>
    public static void CheckGuestServices(string network, QemuForwardProtocol protocol, string? hostAddress, int hostPort)
    {
        if (hostAddress is null && (hostPort == 53 || (hostPort == 67 && protocol == QemuForwardProtocol.Udp)))
        {
            throw new QemuNetException("NatForwardHijacksGuestService", QemuNetErrorCategory.InvalidOperation, hostPort,
                $"A {protocol.ToString().ToLowerInvariant()} forward of port {hostPort} without -HostAddress also matches the guests' own {(hostPort == 53 ? "DNS" : "DHCP")} "
                + $"queries to their gateway: the guests of '{network}' would lose it.",
                "Give -HostAddress (an address of the uplink), or use -Force if that is really wanted.");
        }
    }

    /// <summary>True when two forwards of one protocol and port can take the same connection (no host address means every one).</summary>
    public static bool Overlaps(string? a, string? b) => a is null || b is null || a == b;

    /// <summary>Another QemuNet NAT network of the namespace, or a running user-mode guest there, already forwards the port.</summary>
    public static void CheckTaken(string network, QemuForwardProtocol protocol, string? hostAddress, int hostPort,
        IEnumerable<QemuNatNetwork> others, IEnumerable<(string Vm, QemuHostForward Forward)> guestForwards, bool ipv6 = false)
    {
        foreach (var other in others.Where(o => o.Name != network))
        {
            if (other.PortForwards.FirstOrDefault(f => f.Protocol == protocol && f.HostPort == hostPort && f.IsIpv6 == ipv6 && Overlaps(f.HostAddress, hostAddress)) is { } theirs)
            {
                throw new QemuNetException("NatForwardHostPortTaken", QemuNetErrorCategory.ResourceExists, hostPort,
                    $"The NAT network '{other.Name}' already forwards {theirs}; two DNAT rules for one port, and one of them never matches.",
                    $"Choose another -HostPort, give each forward its own -HostAddress, or Remove-QemuPortForward -Network {other.Name} -HostPort {hostPort} first.");
            }
        }

        // User-mode guests' forwards are QEMU's IPv4 listeners: an IPv6 DNAT does not take their connections.
        foreach (var (vm, forward) in ipv6 ? [] : guestForwards)
        {
            if (forward.Protocol == protocol && forward.HostPort == hostPort && Overlaps(forward.HostAddress, hostAddress))
            {
                throw new QemuNetException("NatForwardHostPortTaken", QemuNetErrorCategory.ResourceExists, hostPort,
                    $"The running VM '{vm}' forwards host port {hostPort}/{protocol} with user-mode networking ({forward}); the DNAT would take its connections.",
                    $"Choose another -HostPort, or stop '{vm}' first.");
            }
        }
    }

    /// <summary>A program of the namespace listens on the port on an address the forward would match (loopback-only ones do not count).</summary>
    public static void CheckListeners(QemuForwardProtocol protocol, string? hostAddress, int hostPort, IEnumerable<BoundSocket> bound, string where, bool ipv6 = false)
    {
        var proto = protocol.ToString().ToLowerInvariant();
        foreach (var socket in bound.Where(b => b.Protocol == proto && b.Port == hostPort))
        {
            // A socket on one address of the other family never sees the forward's traffic; a wildcard may (:: takes IPv4 too).
            var sameFamily = socket.IsWildcard || socket.Address.Contains(':', StringComparison.Ordinal) == ipv6;
            var taken = hostAddress is null ? !socket.IsLoopback && sameFamily : socket.IsWildcard || socket.Address == hostAddress;
            if (taken)
            {
                throw new QemuNetException("NatForwardHostPortListening", QemuNetErrorCategory.ResourceExists, hostPort,
                    $"A program listens on {socket.Address}:{hostPort}/{proto}{where}; the forward would take its connections (it would still see the host's own ones).",
                    "Choose another -HostPort, give a -HostAddress the program does not listen on, find it with 'ss -lntup', or use -Force.");
            }
        }
    }
}
