using System.Text.RegularExpressions;
using QemuNet.Core.Model;

namespace QemuNet.Core.Nat;

/// <summary>Validated changes to a NAT network's reservations and port forwards; each returns the changed network.</summary>
public static partial class NatChanges
{
    /// <summary>
    /// A record read back from disk, checked like user input (it may have been torn, edited or planted): every
    /// name, address, reservation and forward must be one Enable-QemuNat and its friends could have written.
    /// </summary>
    public static QemuNatNetwork Validate(QemuNatNetwork record)
    {
        var fresh = QemuNatNetwork.Create(record.Name, record.Subnet, record.BridgeName, record.Uplink, record.Dhcp ? record.DhcpStart : null,
            record.Dhcp ? record.DhcpEnd : null, record.Dhcp, record.Dns, record.DomainName, null,
            Enum.IsDefined(record.Mode) ? record.Mode : throw new QemuNetException("StateRecordInvalid", QemuNetErrorCategory.InvalidData, record.Mode,
                $"mode {(int)record.Mode} is not a network mode", "Remove the record."), record.Mtu,
            record.Subnet6, record.Routes.Select(r => $"{r.Destination} via {r.Gateway}").ToArray(), record.DnsForwarders);
        if (fresh.Subnet != record.Subnet || fresh.Gateway != record.Gateway || fresh.Subnet6 != record.Subnet6 || fresh.Gateway6 != record.Gateway6 || (record.Dhcp && (fresh.DhcpStart != record.DhcpStart || fresh.DhcpEnd != record.DhcpEnd)))
        {
            throw new QemuNetException("NatSubnetInvalid", QemuNetErrorCategory.InvalidData, record.Subnet,
                $"subnet {record.Subnet}, gateway {record.Gateway} and DHCP range {record.DhcpStart}-{record.DhcpEnd} do not fit together",
                "Remove the record.");
        }

        if (record.NetworkNamespace is not null && !Engine.NetworkNamespaceId.IsName(record.NetworkNamespace))
        {
            throw new QemuNetException("NetworkNamespaceInvalid", QemuNetErrorCategory.InvalidData, record.NetworkNamespace,
                $"'{record.NetworkNamespace}' is not a namespace name", "Remove the record.");
        }

        foreach (var ifName in record.InterfacesForwardingBefore.Concat(record.InterfacesIpv6ForwardingBefore).Where(i => i != "default"))
        {
            InterfaceName.Check(ifName, "StateRecordInvalid");
        }

        var net = fresh with
        {
            NetworkNamespace = record.NetworkNamespace,
            RestoreIpForward = record.RestoreIpForward,
            InterfacesForwardingBefore = record.RestoreIpForward ? record.InterfacesForwardingBefore : [],
            RestoreIpv6Forward = record.RestoreIpv6Forward,
            AutoStart = record.AutoStart,
            InterfacesIpv6ForwardingBefore = record.RestoreIpv6Forward ? record.InterfacesIpv6ForwardingBefore : [],
            UplinkBridge = record.Uplink is null || record.UplinkBridge is null ? null : InterfaceName.Check(record.UplinkBridge, "StateRecordInvalid"),
        };
        foreach (var r in record.Reservations)
        {
            net = AddReservation(net, r.MacAddress, r.IPAddress, r.HostName, r.IPv6Address);
        }

        foreach (var d in record.DnsRecords)
        {
            net = AddDnsRecord(net, d.Name, d.Address);
        }

        foreach (var f in record.PortForwards)
        {
            net = AddPortForward(net, f.Protocol, f.HostAddress, f.HostPort, f.GuestAddress, f.GuestPort);
        }

        return net;
    }

    public static QemuNatNetwork AddReservation(QemuNatNetwork net, string macAddress, string ipAddress, string? hostName, string? ipv6Address = null)
    {
        string mac;
        try
        {
            mac = MacAddress.Normalize(macAddress);
        }
        catch (QemuNetException ex)
        {
            throw new QemuNetException("NatReservationMacInvalid", QemuNetErrorCategory.InvalidArgument, macAddress, ex.Message,
                "Give -MacAddress as six hex pairs, e.g. 52:54:00:12:34:56.");
        }

        var address = Ipv4Network.ParseAddress(ipAddress, "NatReservationAddressInvalid");
        if (!net.Network.ContainsHost(address) || Ipv4Network.FormatAddress(address) == net.Gateway)
        {
            throw new QemuNetException("NatReservationAddressInvalid", QemuNetErrorCategory.InvalidArgument, ipAddress,
                $"{ipAddress} is not a guest address of {net.Subnet} (the gateway {net.Gateway} is the host's).",
                $"Give -IPAddress an address inside {net.Subnet} other than the gateway {net.Gateway}.");
        }

        if (hostName is not null && !DnsName.IsLabel(hostName))
        {
            throw new QemuNetException("NatReservationHostNameInvalid", QemuNetErrorCategory.InvalidArgument, hostName,
                $"'{hostName}' is not a host name (letters, digits and '-', at most 63 characters).",
                "Give -HostName one label of letters, digits and '-', e.g. web1.");
        }

        string? v6 = null;
        if (ipv6Address is not null)
        {
            if (net.Prefix6 is not { } prefix)
            {
                throw new QemuNetException("NatReservationIpv6WithoutSubnet6", QemuNetErrorCategory.InvalidArgument, ipv6Address,
                    $"Network '{net.Name}' has no IPv6 prefix, so {ipv6Address} cannot be reserved on it.",
                    "Enable the network with -Subnet6 or -Ipv6 first, or leave -IPv6Address out.");
            }

            v6 = Ipv6Prefix.ParseAddress(ipv6Address, "NatReservationAddressInvalid");
            if (!prefix.Contains(System.Net.IPAddress.Parse(v6)) || v6 == net.Gateway6 || v6 == prefix.Host(0).ToString())
            {
                throw new QemuNetException("NatReservationAddressInvalid", QemuNetErrorCategory.InvalidArgument, ipv6Address,
                    $"{ipv6Address} is not a guest address of {net.Subnet6} (the gateway {net.Gateway6} is the host's).",
                    $"Give -IPv6Address an address inside {net.Subnet6} other than {net.Gateway6}.");
            }
        }

        if (net.Reservations.FirstOrDefault(r => r.MacAddress == mac || r.IPAddress == ipAddress || (v6 is not null && r.IPv6Address == v6)) is { } clash)
        {
            throw new QemuNetException("NatReservationExists", QemuNetErrorCategory.ResourceExists, clash.MacAddress == mac ? mac : clash.IPAddress == ipAddress ? ipAddress : v6,
                $"Network '{net.Name}' already has the reservation {clash}.", "Remove-QemuNatReservation it first.");
        }

        return net with { Reservations = [.. net.Reservations, new QemuNatReservation { MacAddress = mac, IPAddress = ipAddress, HostName = hostName, IPv6Address = v6 }] };
    }

    public static QemuNatNetwork RemoveReservation(QemuNatNetwork net, string macOrAddress)
    {
        var key = macOrAddress.Contains(':', StringComparison.Ordinal) || macOrAddress.Contains('-', StringComparison.Ordinal)
            ? TryNormalize(macOrAddress) : macOrAddress;
        var match = net.Reservations.FirstOrDefault(r => r.MacAddress == key || r.IPAddress == key || r.IPv6Address == key)
            ?? throw new QemuNetException("NatReservationNotFound", QemuNetErrorCategory.ObjectNotFound, macOrAddress,
                $"Network '{net.Name}' has no reservation for {macOrAddress}.",
                $"Run Get-QemuNat {net.Name} to list its reservations, and give -MacAddress one of their MAC or IP addresses.");
        return net with { Reservations = net.Reservations.Where(r => r != match).ToArray() };
    }

    public static QemuNatNetwork AddPortForward(QemuNatNetwork net, QemuForwardProtocol protocol, string? hostAddress, int hostPort, string guest, int guestPort)
    {
        if (net.Mode == QemuNetworkMode.Isolated)
        {
            throw new QemuNetException("NatForwardIsolated", QemuNetErrorCategory.InvalidOperation, net.Name,
                $"Network '{net.Name}' is isolated: nothing is forwarded to or from its guests, so a port forward would never work.",
                "Use a NAT or routed network (Enable-QemuNat -Mode Nat or Routed) for guests that serve other hosts.");
        }

        const string portAction = "Give -HostPort and -GuestPort a number from 1 to 65535.";
        Port.Check(hostPort, "NatForwardPortInvalid", "port", portAction);
        Port.Check(guestPort, "NatForwardPortInvalid", "port", portAction);
        var guestAddress = ResolveGuest(net, guest);
        var ipv6 = guestAddress.Contains(':', StringComparison.Ordinal);
        if (hostAddress is not null)
        {
            hostAddress = ipv6 ? Ipv6Prefix.ParseAddress(hostAddress, "NatForwardHostAddressInvalid")
                : Ipv4Network.FormatAddress(Ipv4Network.ParseAddress(hostAddress, "NatForwardHostAddressInvalid"));
        }

        // A forward is one family's: an IPv4 and an IPv6 forward of the same port do not clash.
        var clash = net.PortForwards.FirstOrDefault(f => f.Protocol == protocol && f.HostPort == hostPort && f.IsIpv6 == ipv6
            && (f.HostAddress is null || hostAddress is null || f.HostAddress == hostAddress));
        if (clash is not null)
        {
            throw new QemuNetException("NatForwardExists", QemuNetErrorCategory.ResourceExists, hostPort,
                $"Network '{net.Name}' already forwards {clash}.", "Remove-QemuPortForward it first.");
        }

        var forward = new QemuPortForward { Protocol = protocol, HostAddress = hostAddress, HostPort = hostPort, GuestAddress = guestAddress, GuestPort = guestPort };
        return net with { PortForwards = [.. net.PortForwards, forward] };
    }

    public static QemuNatNetwork RemovePortForward(QemuNatNetwork net, QemuForwardProtocol protocol, string? hostAddress, int hostPort)
    {
        var match = net.PortForwards.FirstOrDefault(f => f.Protocol == protocol && f.HostPort == hostPort && (hostAddress is null || f.HostAddress == hostAddress))
            ?? throw new QemuNetException("NatForwardNotFound", QemuNetErrorCategory.ObjectNotFound, hostPort,
                $"Network '{net.Name}' has no {protocol.ToString().ToLowerInvariant()} forward of port {hostPort}{(hostAddress is null ? string.Empty : " on " + hostAddress)}.",
                $"Run Get-QemuPortForward {net.Name} to list its forwards, and give that -Protocol, -HostPort and -HostAddress.");
        return net with { PortForwards = net.PortForwards.Where(f => f != match).ToArray() };
    }

    /// <summary>A guest given as an address of the subnet (or the IPv6 prefix), or as the MAC of one of the network's reservations.</summary>
    private static string ResolveGuest(QemuNatNetwork net, string guest)
    {
        if (Ipv6Prefix.TryParseAddress(guest, out var address6))
        {
            if (net.Prefix6 is not { } prefix || !prefix.Contains(address6) || address6.ToString() == net.Gateway6 || address6.Equals(prefix.Host(0)))
            {
                throw new QemuNetException("NatForwardGuestInvalid", QemuNetErrorCategory.InvalidArgument, guest,
                    net.Subnet6 is null ? $"Network '{net.Name}' has no IPv6 prefix, so {guest} is none of its guests."
                        : $"{guest} is not a guest address of {net.Subnet6}.",
                    net.Subnet6 is null ? "Give the guest's IPv4 address, or enable the network with -Subnet6."
                        : $"Give -GuestAddress an address inside {net.Subnet6} other than the gateway {net.Gateway6}.");
            }

            return address6.ToString();
        }

        if (Ipv4Network.TryParseAddress(guest, out var address))
        {
            if (!net.Network.ContainsHost(address) || guest == net.Gateway)
            {
                throw new QemuNetException("NatForwardGuestInvalid", QemuNetErrorCategory.InvalidArgument, guest,
                    $"{guest} is not a guest address of {net.Subnet}.",
                    $"Give -GuestAddress an address inside {net.Subnet} other than the gateway {net.Gateway}.");
            }

            return guest;
        }

        var mac = TryNormalize(guest);
        return net.Reservations.FirstOrDefault(r => r.MacAddress == mac)?.IPAddress
            ?? throw new QemuNetException("NatForwardGuestInvalid", QemuNetErrorCategory.InvalidArgument, guest,
                $"'{guest}' is neither an address of {net.Subnet} nor the MAC of a reservation of network '{net.Name}'.",
                "Give the guest's address, or reserve one for its MAC with Add-QemuNatReservation.");
    }

    /// <summary>
    /// A static route "DESTINATION via GATEWAY": an IPv4 network outside the network's subnet, outside special-purpose
    /// space (0/8, loopback, link-local, multicast, reserved), reached through a guest address of the subnet.
    /// </summary>
    public static QemuNatNetwork AddRoute(QemuNatNetwork net, string route)
    {
        var parts = route.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[1] != "via" || !Ipv4Network.TryParse(parts[0], out var destination) || !parts[0].Contains('/', StringComparison.Ordinal)
            || !Ipv4Network.TryParseAddress(parts[2], out var gateway))
        {
            throw new QemuNetException("NatRouteInvalid", QemuNetErrorCategory.InvalidArgument, route,
                $"'{route}' is not a route of the form 'DESTINATION via GATEWAY'.",
                $"Give -Route as an IPv4 network and a guest address of {net.Subnet}, e.g. '203.0.113.0/24 via {Ipv4Network.FormatAddress(net.Network.Host(2))}'.");
        }

        if (Ipv4Network.FormatAddress(destination.Network) != parts[0].Split('/')[0])
        {
            throw new QemuNetException("NatRouteInvalid", QemuNetErrorCategory.InvalidArgument, route,
                $"'{parts[0]}' has host bits set; the network is {destination}.", $"Give the network itself: {destination}.");
        }

        var special = new[] { "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4" }
            .Select(c => Ipv4Network.Parse(c, "NatRouteInvalid")).FirstOrDefault(destination.Overlaps);
        if (destination.PrefixLength == 0 || special != default)
        {
            throw new QemuNetException("NatRouteInvalid", QemuNetErrorCategory.InvalidArgument, route,
                destination.PrefixLength == 0 ? "The default route is the network's gateway; -Route is for other networks."
                    : $"{destination} lies in special-purpose space ({special}), which is never routed to a guest.",
                "Give -Route a unicast IPv4 network, e.g. 203.0.113.0/24.");
        }

        if (destination.Overlaps(net.Network))
        {
            throw new QemuNetException("NatRouteInvalid", QemuNetErrorCategory.InvalidArgument, route,
                $"{destination} overlaps the network's own subnet {net.Subnet}, which the guests reach directly.",
                "Give -Route a network outside the subnet.");
        }

        if (!net.Network.ContainsHost(gateway) || Ipv4Network.FormatAddress(gateway) == net.Gateway)
        {
            throw new QemuNetException("NatRouteInvalid", QemuNetErrorCategory.InvalidArgument, route,
                $"The route's gateway {parts[2]} is not a guest address of {net.Subnet} (the host's {net.Gateway} is every guest's default route already).",
                $"Give a gateway inside {net.Subnet} other than {net.Gateway}: the guest or router that reaches {destination}.");
        }

        if (net.Routes.Any(r => Ipv4Network.Parse(r.Destination, "NatRouteInvalid").Overlaps(destination)))
        {
            throw new QemuNetException("NatRouteExists", QemuNetErrorCategory.ResourceExists, route,
                $"Network '{net.Name}' already routes a network overlapping {destination}.", "Give each -Route a separate network.");
        }

        return net with { Routes = [.. net.Routes, new QemuNatRoute { Destination = destination.ToString(), Gateway = Ipv4Network.FormatAddress(gateway) }] };
    }

    /// <summary>An A or AAAA record the network's dnsmasq serves (from its hosts file, so adding one is a reload).</summary>
    public static QemuNatNetwork AddDnsRecord(QemuNatNetwork net, string name, string address)
    {
        if (!net.Dns)
        {
            throw new QemuNetException("NatDnsOff", QemuNetErrorCategory.InvalidOperation, net.Name,
                $"Network '{net.Name}' serves no DNS (-Dns Off), so it cannot answer for {name}.", "Enable the network with -Dns On.");
        }

        if (!DnsName.IsName(name))
        {
            throw new QemuNetException("NatDnsNameInvalid", QemuNetErrorCategory.InvalidArgument, name,
                $"'{name}' is not a DNS name.", "Give -Name as dot-separated labels of letters, digits and '-', e.g. files.lab.internal.");
        }

        var text = Ipv4Network.TryParseAddress(address, out var a4) ? Ipv4Network.FormatAddress(a4)
            : Ipv6Prefix.TryParseAddress(address, out var a6) ? a6.ToString()
            : throw new QemuNetException("NatDnsAddressInvalid", QemuNetErrorCategory.InvalidArgument, address,
                $"'{address}' is not an IPv4 or IPv6 address.", "Give -Address an address, e.g. 198.51.100.20 or fd42::20.");
        var record = new QemuNatDnsRecord { Name = name.ToLowerInvariant(), Address = text };
        if (net.DnsRecords.Contains(record))
        {
            throw new QemuNetException("NatDnsRecordExists", QemuNetErrorCategory.ResourceExists, name,
                $"Network '{net.Name}' already has the record {record}.", "Remove-QemuNatDnsRecord it first, or leave it.");
        }

        return net with { DnsRecords = [.. net.DnsRecords, record] };
    }

    /// <summary>Removes the records of <paramref name="name"/> (only the one with <paramref name="address"/> when given).</summary>
    public static QemuNatNetwork RemoveDnsRecord(QemuNatNetwork net, string name, string? address)
    {
        var keep = net.DnsRecords.Where(r => !(string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)
            && (address is null || r.Address == address || (System.Net.IPAddress.TryParse(address, out var a) && r.Address == a.ToString())))).ToArray();
        if (keep.Length == net.DnsRecords.Count)
        {
            throw new QemuNetException("NatDnsRecordNotFound", QemuNetErrorCategory.ObjectNotFound, name,
                $"Network '{net.Name}' has no DNS record {name}{(address is null ? string.Empty : " " + address)}.",
                $"Run Get-QemuNat {net.Name} | Select-Object -ExpandProperty DnsRecords to list them.");
        }

        return net with { DnsRecords = keep };
    }

    private static string TryNormalize(string mac)
    {
        try
        {
            return MacAddress.Normalize(mac);
        }
        catch (QemuNetException)
        {
            return mac;
        }
    }
}
