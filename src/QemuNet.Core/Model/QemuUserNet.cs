using System.Text.RegularExpressions;

namespace QemuNet.Core.Model;

/// <summary>QEMU's built-in user-mode (slirp) network: no root, NAT to the host's own sockets.</summary>
public sealed partial record QemuUserNet : QemuNetBackend
{
    public const string DefaultSubnet = "10.0.2.0/24";

    public override QemuBackendKind Kind => QemuBackendKind.User;

    /// <summary>Isolate the guest from the host and the outside (restrict=on); forwards still work.</summary>
    public bool Restrict { get; init; }

    /// <summary>The guest network; QEMU's default is 10.0.2.0/24.</summary>
    public string? Subnet { get; init; }

    public string? DhcpStart { get; init; }

    public string? Dns { get; init; }

    public string? HostName { get; init; }

    public string? DomainName { get; init; }

    public IReadOnlyList<QemuHostForward> HostForward { get; init; } = [];

    /// <summary>The address the guest gets from slirp's DHCP: dhcpstart, else what QEMU derives (10.0.2.15).</summary>
    public string GuestAddress => DhcpStart ?? Ipv4Network.FormatAddress(SlirpAddress(Network, DhcpOffset));

    public string Gateway => Ipv4Network.FormatAddress(SlirpAddress(Network, GatewayOffset));

    /// <summary>The built-in DNS server's address unless -Dns names one (10.0.2.3).</summary>
    public string DnsAddress => Dns ?? Ipv4Network.FormatAddress(SlirpAddress(Network, DnsOffset));

    // QEMU (net/slirp.c) puts its gateway, DNS and first DHCP address at net | (0x0202, 0x0203, 0x020f & ~mask):
    // .2/.3/.15 in a /24, but 2.2/2.3/2.15 in a /16.
    private const uint GatewayOffset = 0x0202;
    private const uint DnsOffset = 0x0203;
    private const uint DhcpOffset = 0x020f;

    private static uint SlirpAddress(Ipv4Network network, uint offset) => network.Network | (offset & ~network.Mask);

    private Ipv4Network Network => Ipv4Network.Parse(Subnet ?? DefaultSubnet, "UserNetSubnetInvalid");

    public static QemuUserNet Create(string? id, bool restrict, string? subnet, string? dhcpStart, string? dns,
        string? hostName, string? domainName, IReadOnlyList<QemuHostForward>? hostForward, int? hub = null)
    {
        CheckHub(hub, "UserNetHubInvalid");
        if (id is not null)
        {
            QemuId.Check(id, "UserNetIdInvalid");
        }

        var network = Ipv4Network.Parse(subnet ?? DefaultSubnet, "UserNetSubnetInvalid");
        if (network.PrefixLength > 28)
        {
            throw new QemuNetException("UserNetSubnetInvalid", QemuNetErrorCategory.InvalidArgument, subnet,
                $"The subnet {subnet} is too small for user-mode networking, which places its gateway at .2, DNS at .3 and guests from .15; use a /28 or larger.",
                "Give -Subnet a /28 or larger network, e.g. 10.0.2.0/24.");
        }

        CheckHostAddress(network, dhcpStart, "UserNetDhcpStartInvalid", "DHCP start");
        CheckHostAddress(network, dns, "UserNetDnsInvalid", "DNS server");

        // The checks QEMU makes at start, made here so the mistake shows when the backend is built.
        var gateway = SlirpAddress(network, GatewayOffset);
        var dnsAddress = dns is null ? SlirpAddress(network, DnsOffset) : Ipv4Network.ParseAddress(dns, "UserNetDnsInvalid");
        var dhcp = dhcpStart is null ? SlirpAddress(network, DhcpOffset) : Ipv4Network.ParseAddress(dhcpStart, "UserNetDhcpStartInvalid");
        if (dnsAddress == gateway)
        {
            throw new QemuNetException("UserNetDnsInvalid", QemuNetErrorCategory.InvalidArgument, dns,
                $"The DNS address {dns} is the user network's gateway ({Ipv4Network.FormatAddress(gateway)}); QEMU needs them apart.",
                $"Give -Dns another address of {network}, or leave it out for {Ipv4Network.FormatAddress(SlirpAddress(network, DnsOffset))}.");
        }

        if (dhcp == gateway || dhcp == dnsAddress || dhcp == network.Broadcast)
        {
            var what = dhcp == gateway ? "the gateway" : dhcp == dnsAddress ? "the DNS server" : "the broadcast address";
            throw new QemuNetException("UserNetDhcpStartInvalid", QemuNetErrorCategory.InvalidArgument, dhcpStart ?? subnet,
                $"The first DHCP address {Ipv4Network.FormatAddress(dhcp)} of the user network {network} is {what}.",
                dhcpStart is null ? "Give a /27 or larger -Subnet, or a -DhcpStart inside it." : $"Give -DhcpStart another address of {network}, e.g. {Ipv4Network.FormatAddress(SlirpAddress(network, DhcpOffset))}.");
        }
        CheckName(hostName, "UserNetHostNameInvalid");
        CheckName(domainName, "UserNetDomainNameInvalid");

        var forwards = hostForward ?? [];
        for (var i = 0; i < forwards.Count; i++)
        {
            var forward = forwards[i];
            if (forward.GuestAddress is { } guest && !network.ContainsHost(Ipv4Network.ParseAddress(guest, "UserNetGuestAddressInvalid")))
            {
                throw new QemuNetException("UserNetGuestAddressInvalid", QemuNetErrorCategory.InvalidArgument, guest,
                    $"The forward's guest address {guest} is outside the user network {network}.",
                    $"Give the forward a guest address inside {network}, or leave the guest address out to reach the guest's DHCP address.");
            }

            if (forwards.Take(i).FirstOrDefault(forward.ConflictsWith) is { } earlier)
            {
                throw new QemuNetException("UserNetHostPortDuplicate", QemuNetErrorCategory.InvalidArgument, forward.HostPort,
                    $"Host port {forward.HostPort}/{forward.Protocol} on {forward.HostAddress} is forwarded twice ({earlier} and {forward}).",
                    "Give each -HostForward its own host port or host address.");
            }
        }

        return new QemuUserNet
        {
            Id = id,
            Restrict = restrict,
            Subnet = subnet is null ? null : network.ToString(),
            DhcpStart = dhcpStart,
            Dns = dns,
            HostName = hostName,
            DomainName = domainName,
            HostForward = new QemuHostForwardList(forwards.ToArray()),
            Hub = hub,
        };
    }

    public override string ToString() => "user" + (HostForward.Count > 0 ? $" ({string.Join(", ", HostForward)})" : string.Empty) + (Hub is { } hub ? $" on hub {hub}" : string.Empty);

    private static void CheckHostAddress(Ipv4Network network, string? value, string errorId, string what)
    {
        if (value is not null && !network.ContainsHost(Ipv4Network.ParseAddress(value, errorId)))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"The {what} address {value} is not a host address of the user network {network}.",
                $"Give an address inside {network}, or set -Subnet to a network that contains {value}.");
        }
    }

    private static void CheckName(string? value, string errorId)
    {
        if (value is not null && !DnsName.IsName(value))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is not a DNS name (letters, digits and hyphens in dot-separated labels of up to 63 characters).",
                "Give a DNS name of letters, digits and hyphens, e.g. guest1 or lab.example.");
        }
    }
}
