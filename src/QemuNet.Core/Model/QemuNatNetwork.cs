using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace QemuNet.Core.Model;

public enum QemuNatState
{
    /// <summary>Everything that was applied is present.</summary>
    Active,

    /// <summary>Some of it is missing or was changed by someone else (see Drift).</summary>
    Degraded,

    /// <summary>A QemuNet command was killed half-way (see Drift for what it left); the next Enable or Disable finishes or undoes it.</summary>
    Incomplete,

    /// <summary>Disable-QemuNat removed it: what Disable-QemuNat -PassThru returns.</summary>
    Removed,
}

/// <summary>How a network's guests reach beyond the host (libvirt's forward modes).</summary>
public enum QemuNetworkMode
{
    /// <summary>Forwarded and masqueraded behind the host's address.</summary>
    Nat,

    /// <summary>Forwarded with their own addresses: the LAN's router must send the subnet to this host.</summary>
    Routed,

    /// <summary>Not forwarded at all: the guests reach each other and the host's DHCP and DNS, nothing else.</summary>
    Isolated,
}

/// <summary>A DHCP reservation: this MAC always gets this address (and optionally this host name).</summary>
public sealed record QemuNatReservation
{
    public required string MacAddress { get; init; }

    public required string IPAddress { get; init; }

    public string? HostName { get; init; }

    /// <summary>The address DHCPv6 gives this MAC on a dual-stack network (SLAAC guests make their own).</summary>
    public string? IPv6Address { get; init; }

    public override string ToString() => $"{MacAddress} -> {IPAddress}" + (IPv6Address is null ? string.Empty : $", {IPv6Address}")
        + (HostName is null ? string.Empty : $" ({HostName})");
}

/// <summary>A static route handed to the guests by DHCP (option 121); a routed network's host installs it too.</summary>
public sealed record QemuNatRoute
{
    /// <summary>The IPv4 network reached through <see cref="Gateway"/>, in CIDR form.</summary>
    public required string Destination { get; init; }

    /// <summary>A guest (or other router) on the network that forwards to <see cref="Destination"/>.</summary>
    public required string Gateway { get; init; }

    public override string ToString() => $"{Destination} via {Gateway}";
}

/// <summary>A name the network's dnsmasq answers for its guests: an A record (IPv4) or AAAA record (IPv6).</summary>
public sealed record QemuNatDnsRecord
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    public string Type => Address.Contains(':', StringComparison.Ordinal) ? "AAAA" : "A";

    public override string ToString() => $"{Name} {Type} {Address}";
}

/// <summary>A port forward (DNAT) from the host into a guest on a NAT network.</summary>
public sealed record QemuPortForward
{
    public QemuForwardProtocol Protocol { get; init; } = QemuForwardProtocol.Tcp;

    /// <summary>Only traffic to this host address is forwarded; any local address when empty.</summary>
    public string? HostAddress { get; init; }

    public int HostPort { get; init; }

    public required string GuestAddress { get; init; }

    public int GuestPort { get; init; }

    /// <summary>An IPv6 forward (to a guest's IPv6 address), DNAT in the ip6 family.</summary>
    [JsonIgnore]
    public bool IsIpv6 => GuestAddress.Contains(':', StringComparison.Ordinal);

    public override string ToString() => IsIpv6
        ? $"{Protocol.ToString().ToLowerInvariant()} [{HostAddress ?? "*"}]:{HostPort} -> [{GuestAddress}]:{GuestPort}"
        : $"{Protocol.ToString().ToLowerInvariant()} {HostAddress ?? "*"}:{HostPort} -> {GuestAddress}:{GuestPort}";
}

/// <summary>
/// A NAT network (seed 4.2, like libvirt's default network): a bridge without physical ports, the subnet's
/// first address on it, IPv4 forwarding, masquerade and forward rules in the module's own nftables table,
/// and dnsmasq for DHCP/DNS bound to that bridge only.
/// </summary>
public sealed partial record QemuNatNetwork
{
    public const string DefaultSubnet = "192.168.122.0/24";

    public required string Name { get; init; }

    public required string BridgeName { get; init; }

    public required string Subnet { get; init; }

    /// <summary>The host's address on the bridge (the subnet's first address): the guests' gateway and DNS server.</summary>
    public required string Gateway { get; init; }

    public QemuNetworkMode Mode { get; init; } = QemuNetworkMode.Nat;

    /// <summary>The bridge's MTU, which guests learn by DHCP (option 26) and their TAPs take; the kernel's 1500 when empty.</summary>
    public int? Mtu { get; init; }

    public const int MinMtu = 576;

    public const int MaxMtu = 9000;

    /// <summary>The network's IPv6 /64 when it is dual stack: guests get addresses by SLAAC (router advertisements) and DHCPv6.</summary>
    public string? Subnet6 { get; init; }

    /// <summary>The host's IPv6 address on the bridge (the prefix's ::1): the guests' IPv6 router.</summary>
    public string? Gateway6 { get; init; }

    /// <summary>Static routes handed to the guests (DHCP option 121, with the default route in front as RFC 3442 asks).</summary>
    public IReadOnlyList<QemuNatRoute> Routes { get; init; } = [];

    /// <summary>Upstream name servers dnsmasq asks instead of the host's resolv.conf.</summary>
    public IReadOnlyList<string> DnsForwarders { get; init; } = [];

    public IReadOnlyList<QemuNatDnsRecord> DnsRecords { get; init; } = [];

    /// <summary>Kept as a definition in the configuration directory and brought back by Restore-QemuNetwork after a reboot.</summary>
    public bool AutoStart { get; init; }

    public bool Dhcp { get; init; } = true;

    public string? DhcpStart { get; init; }

    public string? DhcpEnd { get; init; }

    public bool Dns { get; init; } = true;

    public string? DomainName { get; init; }

    /// <summary>Masquerade only out of this interface; out of any when empty.</summary>
    public string? Uplink { get; init; }

    /// <summary>
    /// The bridge that carried the uplink when the network was last enabled (the uplink is its port, as after the
    /// seed's brctl addif br0 eth0): the masquerade then matches traffic leaving through that bridge too.
    /// </summary>
    public string? UplinkBridge { get; init; }

    public IReadOnlyList<QemuNatReservation> Reservations { get; init; } = [];

    public IReadOnlyList<QemuPortForward> PortForwards { get; init; } = [];

    public string? NetworkNamespace { get; init; }

    /// <summary>True when the module turned net.ipv4.ip_forward on and so turns it off again at the end.</summary>
    public bool RestoreIpForward { get; init; }

    /// <summary>
    /// With <see cref="RestoreIpForward"/>: the interfaces ("default" included) whose own forwarding setting was on
    /// before QemuNet turned ip_forward on; turning it off again turns them all off, so these are put back.
    /// </summary>
    public IReadOnlyList<string> InterfacesForwardingBefore { get; init; } = [];

    /// <summary>True when the module turned net.ipv6.conf.all.forwarding on and so turns it off again at the end.</summary>
    public bool RestoreIpv6Forward { get; init; }

    /// <summary>With <see cref="RestoreIpv6Forward"/>: the interfaces whose own IPv6 forwarding was on before (put back after).</summary>
    public IReadOnlyList<string> InterfacesIpv6ForwardingBefore { get; init; } = [];

    /// <summary>The nftables table holding this network's rules and nothing else.</summary>
    public string TableName => "qemunet_" + Name.Replace('-', '_');

    [JsonIgnore]
    public QemuNatState State { get; set; } = QemuNatState.Active;

    [JsonIgnore]
    public int? DnsmasqPid { get; set; }

    /// <summary>What differs from what was applied (missing bridge, changed rules, dnsmasq not running…).</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Drift { get; set; } = [];

    public static QemuNatNetwork Create(string name, string? subnet, string? bridgeName, string? uplink, string? dhcpStart, string? dhcpEnd,
        bool dhcp, bool dns, string? domainName, string? networkNamespace, QemuNetworkMode mode = QemuNetworkMode.Nat, int? mtu = null,
        string? subnet6 = null, IReadOnlyList<string>? routes = null, IReadOnlyList<string>? dnsForwarders = null)
    {
        CheckName(name);
        if (mtu is < MinMtu or > MaxMtu)
        {
            throw new QemuNetException("NatMtuInvalid", QemuNetErrorCategory.InvalidArgument, mtu,
                $"-Mtu {mtu} is out of range ({MinMtu} to {MaxMtu}).",
                $"Give -Mtu a size from {MinMtu} to {MaxMtu} bytes (1500 is Ethernet's), or leave it out.");
        }

        if (mode == QemuNetworkMode.Isolated && uplink is not null)
        {
            throw new QemuNetException("NatUplinkIsolated", QemuNetErrorCategory.InvalidArgument, uplink,
                $"An isolated network forwards nothing, so the uplink {uplink} would never be used.",
                "Leave -Uplink out with -Mode Isolated, or use -Mode Nat or Routed.");
        }

        var bridge = bridgeName ?? (name.Length <= 12 ? "qn-" + name : throw new QemuNetException("NatBridgeNameRequired",
            QemuNetErrorCategory.InvalidArgument, name, $"The network name '{name}' is too long to derive a bridge name from; give -BridgeName.",
            "Give -BridgeName a link name of up to 15 characters, e.g. qn-lab, or use a -Name of at most 12 characters."));
        InterfaceName.Check(bridge, "NatBridgeNameInvalid");
        if (uplink is not null)
        {
            InterfaceName.Check(uplink, "NatUplinkInvalid");
        }

        var network = Ipv4Network.Parse(subnet ?? DefaultSubnet, "NatSubnetInvalid");
        if (network.PrefixLength is < 8 or > 29)
        {
            throw new QemuNetException("NatSubnetInvalid", QemuNetErrorCategory.InvalidArgument, subnet,
                $"The subnet {network} is out of range; use a prefix from /8 to /29.",
                "Give -Subnet a prefix from /8 to /29, e.g. 192.168.100.0/24.");
        }

        var gateway = network.Host(1);
        string? start = null, end = null;
        if (dhcp)
        {
            var first = dhcpStart is null ? network.Host(2) : Ipv4Network.ParseAddress(dhcpStart, "NatDhcpRangeInvalid");
            var last = dhcpEnd is null ? network.Broadcast - 1 : Ipv4Network.ParseAddress(dhcpEnd, "NatDhcpRangeInvalid");
            if (!network.ContainsHost(first) || !network.ContainsHost(last) || first > last || (first <= gateway && gateway <= last))
            {
                var range = $"{Ipv4Network.FormatAddress(first)}-{Ipv4Network.FormatAddress(last)}";
                throw new QemuNetException("NatDhcpRangeInvalid", QemuNetErrorCategory.InvalidArgument, range,
                    $"The DHCP range {range} must lie inside {network}, start before it ends, and leave out the gateway {Ipv4Network.FormatAddress(gateway)}.",
                    $"Give -DhcpRange a lower and a higher address from {Ipv4Network.FormatAddress(network.Host(2))} to {Ipv4Network.FormatAddress(network.Broadcast - 1)}, or leave it out.");
            }

            (start, end) = (Ipv4Network.FormatAddress(first), Ipv4Network.FormatAddress(last));
        }

        if (domainName is not null && !DnsName.IsName(domainName))
        {
            throw new QemuNetException("NatDomainNameInvalid", QemuNetErrorCategory.InvalidArgument, domainName,
                $"'{domainName}' is not a DNS domain name.",
                "Give -DomainName as dot-separated labels of letters, digits and '-', e.g. lab.internal.");
        }

        Ipv6Prefix? prefix6 = subnet6 is null ? null : Ipv6Prefix.Parse(subnet6, "NatSubnet6Invalid");
        if (prefix6 is not null && mtu is < MinIpv6Mtu)
        {
            throw new QemuNetException("NatMtuInvalid", QemuNetErrorCategory.InvalidArgument, mtu,
                $"-Mtu {mtu} is below IPv6's minimum of {MinIpv6Mtu}, and the network is dual stack.",
                $"Give -Mtu at least {MinIpv6Mtu} with -Subnet6 or -Ipv6, or leave IPv6 out.");
        }

        var forwarders = (dnsForwarders ?? []).Select(f => Ipv4Network.TryParseAddress(f, out var a4) ? Ipv4Network.FormatAddress(a4)
            : Ipv6Prefix.TryParseAddress(f, out var a6) ? a6.ToString()
            : throw new QemuNetException("NatDnsForwarderInvalid", QemuNetErrorCategory.InvalidArgument, f,
                $"'{f}' is not an IPv4 or IPv6 address of a name server.", "Give -DnsForwarder addresses, e.g. 198.51.100.53.")).ToArray();
        if (forwarders.Length > 0 && !dns)
        {
            throw new QemuNetException("NatDnsForwarderWithoutDns", QemuNetErrorCategory.InvalidArgument, forwarders[0],
                "-DnsForwarder has nothing to do with -Dns Off.", "Leave -DnsForwarder out, or turn DNS on.");
        }

        var net = new QemuNatNetwork
        {
            Name = name,
            BridgeName = bridge,
            Subnet = network.ToString(),
            Gateway = Ipv4Network.FormatAddress(gateway),
            Dhcp = dhcp,
            DhcpStart = start,
            DhcpEnd = end,
            Dns = dns,
            DomainName = domainName,
            Uplink = uplink,
            NetworkNamespace = networkNamespace,
            Mode = mode,
            Mtu = mtu,
            Subnet6 = prefix6?.ToString(),
            Gateway6 = prefix6?.Host(1).ToString(),
            DnsForwarders = forwarders,
        };
        foreach (var route in routes ?? [])
        {
            net = Nat.NatChanges.AddRoute(net, route);
        }

        return net;
    }

    public const int MinIpv6Mtu = 1280;

    /// <summary>A network name: a letter, then up to 31 letters, digits, '_' or '-' (it becomes part of nft and file names).</summary>
    public static string CheckName(string name)
    {
        if (!NetworkName().IsMatch(name))
        {
            throw new QemuNetException("NatNameInvalid", QemuNetErrorCategory.InvalidArgument, name,
                $"'{name}' is not a usable network name: a letter, then letters, digits, '_' or '-', at most 32 characters.",
                "Give -Name a letter, then up to 31 letters, digits, '_' or '-', e.g. lab1.");
        }

        return name;
    }

    /// <summary>BridgeName by its short name, which also binds New-QemuTap -Bridge from the pipeline.</summary>
    [JsonIgnore]
    public string Bridge => BridgeName;

    [JsonIgnore]
    public Ipv4Network Network => Ipv4Network.Parse(Subnet, "NatSubnetInvalid");

    [JsonIgnore]
    public Ipv6Prefix? Prefix6 => Subnet6 is null ? null : Ipv6Prefix.Parse(Subnet6, "NatSubnet6Invalid");

    public override string ToString() => $"{Name} ({Subnet}{(Subnet6 is null ? string.Empty : ", " + Subnet6)} on {BridgeName}{(Mode == QemuNetworkMode.Nat ? string.Empty : ", " + Mode.ToString().ToLowerInvariant())})";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex NetworkName();
}
