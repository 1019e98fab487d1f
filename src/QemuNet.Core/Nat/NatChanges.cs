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
                $"mode {(int)record.Mode} is not a network mode", "Remove the record."), record.Mtu);
        if (fresh.Subnet != record.Subnet || fresh.Gateway != record.Gateway || (record.Dhcp && (fresh.DhcpStart != record.DhcpStart || fresh.DhcpEnd != record.DhcpEnd)))
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

        foreach (var ifName in record.InterfacesForwardingBefore.Where(i => i != "default"))
        {
            InterfaceName.Check(ifName, "StateRecordInvalid");
        }

        var net = fresh with
        {
            NetworkNamespace = record.NetworkNamespace,
            RestoreIpForward = record.RestoreIpForward,
            InterfacesForwardingBefore = record.RestoreIpForward ? record.InterfacesForwardingBefore : [],
            UplinkBridge = record.Uplink is null || record.UplinkBridge is null ? null : InterfaceName.Check(record.UplinkBridge, "StateRecordInvalid"),
        };
        foreach (var r in record.Reservations)
        {
            net = AddReservation(net, r.MacAddress, r.IPAddress, r.HostName);
        }

        foreach (var f in record.PortForwards)
        {
            net = AddPortForward(net, f.Protocol, f.HostAddress, f.HostPort, f.GuestAddress, f.GuestPort);
        }

        return net;
    }

    public static QemuNatNetwork AddReservation(QemuNatNetwork net, string macAddress, string ipAddress, string? hostName)
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

        if (net.Reservations.FirstOrDefault(r => r.MacAddress == mac || r.IPAddress == ipAddress) is { } clash)
        {
            throw new QemuNetException("NatReservationExists", QemuNetErrorCategory.ResourceExists, clash.MacAddress == mac ? mac : ipAddress,
                $"Network '{net.Name}' already has the reservation {clash}.", "Remove-QemuNatReservation it first.");
        }

        return net with { Reservations = [.. net.Reservations, new QemuNatReservation { MacAddress = mac, IPAddress = ipAddress, HostName = hostName }] };
    }

    public static QemuNatNetwork RemoveReservation(QemuNatNetwork net, string macOrAddress)
    {
        var key = macOrAddress.Contains(':', StringComparison.Ordinal) || macOrAddress.Contains('-', StringComparison.Ordinal)
            ? TryNormalize(macOrAddress) : macOrAddress;
        var match = net.Reservations.FirstOrDefault(r => r.MacAddress == key || r.IPAddress == key)
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

        if (hostAddress is not null)
        {
            Ipv4Network.ParseAddress(hostAddress, "NatForwardHostAddressInvalid");
        }

        const string portAction = "Give -HostPort and -GuestPort a number from 1 to 65535.";
        Port.Check(hostPort, "NatForwardPortInvalid", "port", portAction);
        Port.Check(guestPort, "NatForwardPortInvalid", "port", portAction);
        var guestAddress = ResolveGuest(net, guest);
        var clash = net.PortForwards.FirstOrDefault(f => f.Protocol == protocol && f.HostPort == hostPort
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

    /// <summary>A guest given as an address of the subnet, or as the MAC of one of the network's reservations.</summary>
    private static string ResolveGuest(QemuNatNetwork net, string guest)
    {
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
