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

    public override string ToString() => $"{MacAddress} -> {IPAddress}" + (HostName is null ? string.Empty : $" ({HostName})");
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

    public override string ToString() =>
        $"{Protocol.ToString().ToLowerInvariant()} {HostAddress ?? "*"}:{HostPort} -> {GuestAddress}:{GuestPort}";
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
        bool dhcp, bool dns, string? domainName, string? networkNamespace, QemuNetworkMode mode = QemuNetworkMode.Nat, int? mtu = null)
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

        return new QemuNatNetwork
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
        };
    }

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

    [JsonIgnore]
    public Ipv4Network Network => Ipv4Network.Parse(Subnet, "NatSubnetInvalid");

    public override string ToString() => $"{Name} ({Subnet} on {BridgeName}{(Mode == QemuNetworkMode.Nat ? string.Empty : ", " + Mode.ToString().ToLowerInvariant())})";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex NetworkName();
}
