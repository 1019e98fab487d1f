using QemuNet.Core.Engine;
using System.Globalization;
using System.Text;
using QemuNet.Core.Model;

namespace QemuNet.Core.Nat;

/// <summary>
/// Where a NAT network keeps its files. Its books (record, journal, dnsmasq's conf, pid and leases, the applied
/// ruleset) are in the private state tree under nat/NAMESPACE-KEY/. The files dnsmasq reads again after it has
/// dropped root for "nobody" (reservations, host names) live apart, in <see cref="ReadableDirectory"/>, whose
/// every parent is searchable by anyone, whatever the umask and the state directory's mode.
/// </summary>
public sealed record NatPaths(string Directory, string ReadableDirectory, string Name)
{
    public string Record => Path.Combine(Directory, Name + ".json");

    public string Journal => Path.Combine(Directory, Name + ".journal");

    public string DnsmasqConf => Path.Combine(Directory, Name + ".dnsmasq.conf");

    public string DnsmasqPid => Path.Combine(Directory, Name + ".dnsmasq.pid");

    public string Leases => Path.Combine(Directory, Name + ".leases");

    /// <summary>What nft listed right after the last apply, to tell drift.</summary>
    public string AppliedRuleset => Path.Combine(Directory, Name + ".nft");

    public string HostsFile => Path.Combine(ReadableDirectory, Name + ".dhcp-hosts");

    public string AddnHostsFile => Path.Combine(ReadableDirectory, Name + ".hosts");

    /// <summary>The definition kept for autostart (outside /run, so it outlives a reboot); null in a namespace without a name.</summary>
    public string? Definition { get; init; }

    /// <summary>Every file of the network, in the order Disable removes them.</summary>
    public IReadOnlyList<string> AllFiles => [DnsmasqConf, HostsFile, AddnHostsFile, Leases, DnsmasqPid, AppliedRuleset, Record];
}

/// <summary>The nftables table of one NAT network: libvirt's NAT rules, in one table the module owns.</summary>
public static class NftRuleset
{
    public static string Render(QemuNatNetwork net)
    {
        var br = Quote(net.BridgeName);
        var sub = net.Subnet;
        // An uplink that is a bridge port sends through its bridge: the masquerade matches that too.
        var outIf = net.Uplink is null ? string.Empty
            : net.UplinkBridge is null ? $"oifname {Quote(net.Uplink)} " : $"oifname {{ {Quote(net.Uplink)}, {Quote(net.UplinkBridge)} }} ";
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"table inet {net.TableName} {{\n");

        // DHCP and DNS from the guests to dnsmasq on the host; an isolated network's guests reach nothing else of it.
        s.Append("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} udp dport {{ 53, 67 }} accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} tcp dport 53 accept\n");
        var sub6 = net.Subnet6;
        // Without IPv6 the rejects stay IPv4's; with it, icmpx answers each family in its own ICMP.
        var reject = sub6 is null ? "reject with icmp type port-unreachable" : "reject with icmpx type port-unreachable";
        if (sub6 is not null)
        {
            // DHCPv6, and the neighbour discovery and router solicitations SLAAC cannot do without.
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} udp dport 547 accept\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} icmpv6 type {{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert }} accept\n");
        }

        if (net.Mode == QemuNetworkMode.Isolated)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} {reject}\n");
        }

        s.Append("\t}\n\n");

        s.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} oifname {br} accept\n");
        var inIf = net.Uplink is null ? string.Empty
            : net.UplinkBridge is null ? $"iifname {Quote(net.Uplink)} " : $"iifname {{ {Quote(net.Uplink)}, {Quote(net.UplinkBridge)} }} ";
        switch (net.Mode)
        {
            case QemuNetworkMode.Nat:
                s.Append(CultureInfo.InvariantCulture, $"\t\toifname {br} ip daddr {sub} ct state established,related accept\n");
                s.Append(CultureInfo.InvariantCulture, $"\t\toifname {br} ip daddr {sub} ct status dnat accept\n");
                s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} ip saddr {sub} accept\n");
                if (sub6 is not null)
                {
                    s.Append(CultureInfo.InvariantCulture, $"\t\toifname {br} ip6 daddr {sub6} ct state established,related accept\n");
                    s.Append(CultureInfo.InvariantCulture, $"\t\toifname {br} ip6 daddr {sub6} ct status dnat accept\n");
                    s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} ip6 saddr {sub6} accept\n");
                }

                break;
            case QemuNetworkMode.Routed:
                // The guests' own addresses both ways: whoever routes the subnet here reaches them directly.
                s.Append(CultureInfo.InvariantCulture, $"\t\t{inIf}oifname {br} ip daddr {sub} accept\n");
                s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} {outIf}ip saddr {sub} accept\n");
                if (sub6 is not null)
                {
                    s.Append(CultureInfo.InvariantCulture, $"\t\t{inIf}oifname {br} ip6 daddr {sub6} accept\n");
                    s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} {outIf}ip6 saddr {sub6} accept\n");
                }

                break;
        }

        s.Append(CultureInfo.InvariantCulture, $"\t\toifname {br} {reject}\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {br} {reject}\n");
        s.Append("\t}\n");

        if (net.Mode == QemuNetworkMode.Nat)
        {
            s.Append("\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tip saddr {sub} ip daddr 224.0.0.0/24 return\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tip saddr {sub} ip daddr 255.255.255.255 return\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\t{outIf}meta l4proto tcp ip saddr {sub} ip daddr != {sub} masquerade to :1024-65535\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\t{outIf}meta l4proto udp ip saddr {sub} ip daddr != {sub} masquerade to :1024-65535\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\t{outIf}ip saddr {sub} ip daddr != {sub} masquerade\n");
            if (sub6 is not null)
            {
                // NAT66 (as libvirt since 6.5): unique-local guests reach IPv6 hosts behind the host's own address.
                s.Append(CultureInfo.InvariantCulture, $"\t\t{outIf}ip6 saddr {sub6} ip6 daddr != {{ {sub6}, ff00::/8 }} masquerade\n");
            }

            s.Append("\t}\n");
        }

        // No "udp checksum set 0" for DHCP replies, unlike libvirt's checklist: on a CHECKSUM_PARTIAL packet the
        // kernel later adds the payload sum to that zero, so the checksum comes out wrong (an e1000 guest on
        // the bridge then gets no lease; seen in the NAT tests). Left alone, the kernel completes the checksum
        // itself for TAPs without offload, and virtio guests accept partial ones.
        if (net.PortForwards.Count > 0)
        {
            s.Append("\n\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
            AppendForwards(s, net);
            s.Append("\t}\n\n");
            // The host's own connections to a forwarded port take the output hook, not prerouting.
            s.Append("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n");
            AppendForwards(s, net);
            s.Append("\t}\n");
        }

        s.Append("}\n");
        return s.ToString();
    }

    /// <summary>
    /// One `nft -f` transaction that makes the table where none was seen: `create` fails when a table of that name
    /// appeared after the plan looked, so someone else's table is never taken over (or deleted by the undo).
    /// </summary>
    public static string CreateTransaction(QemuNatNetwork net) => $"create table inet {net.TableName}\n" + Render(net);

    /// <summary>One `nft -f` transaction that replaces the table atomically (creating it first so delete cannot fail).</summary>
    public static string ReplaceTransaction(QemuNatNetwork net) =>
        $"table inet {net.TableName}\ndelete table inet {net.TableName}\n" + Render(net);

    private static void AppendForwards(StringBuilder s, QemuNatNetwork net)
    {
        foreach (var f in net.PortForwards)
        {
            var proto = f.Protocol.ToString().ToLowerInvariant();
            // Without a host address: every local address but loopback, so a service bound to 127.0.0.1 keeps its port.
            if (f.IsIpv6)
            {
                var match6 = f.HostAddress is null ? "fib daddr type local ip6 daddr != ::1" : $"ip6 daddr {f.HostAddress}";
                s.Append(CultureInfo.InvariantCulture, $"\t\t{match6} {proto} dport {f.HostPort} dnat ip6 to [{f.GuestAddress}]:{f.GuestPort}\n");
                continue;
            }

            var match = f.HostAddress is null ? "fib daddr type local ip daddr != 127.0.0.0/8" : $"ip daddr {f.HostAddress}";
            s.Append(CultureInfo.InvariantCulture, $"\t\t{match} {proto} dport {f.HostPort} dnat ip to {f.GuestAddress}:{f.GuestPort}\n");
        }
    }

    private static string Quote(string name) => "\"" + name + "\"";
}

/// <summary>dnsmasq's configuration for one NAT network: bound to its bridge only, with its own pid, lease and hosts files.</summary>
public static class DnsmasqConfig
{
    public static string Render(QemuNatNetwork net, NatPaths paths)
    {
        var mask = Ipv4Network.FormatAddress(net.Network.Mask);
        var s = new StringBuilder();
        s.Append("# Written by QemuNet for network '").Append(net.Name).Append("'. Do not edit: Disable-QemuNat removes it.\n");
        s.Append("strict-order\n");
        s.Append("pid-file=").Append(paths.DnsmasqPid).Append('\n');
        s.Append("except-interface=lo\n");
        s.Append("bind-dynamic\n");
        s.Append("interface=").Append(net.BridgeName).Append('\n');
        if (!net.Dns)
        {
            s.Append("port=0\n");
        }
        else
        {
            if (net.DomainName is not null)
            {
                s.Append("domain=").Append(net.DomainName).Append('\n');
                s.Append("local=/").Append(net.DomainName).Append("/\n");
                s.Append("expand-hosts\n");
            }

            // Reserved names resolve before their guest has ever asked for a lease; the network's own records live here too.
            s.Append("addn-hosts=").Append(paths.AddnHostsFile).Append('\n');
            if (net.DnsForwarders.Count > 0)
            {
                // These servers, not the host's resolv.conf.
                s.Append("no-resolv\n");
                foreach (var server in net.DnsForwarders)
                {
                    s.Append("server=").Append(server).Append('\n');
                }
            }
        }

        if (net.Dhcp)
        {
            // Every host address but the gateway's: room for the range and any reservations, and a value that
            // adding a reservation does not change, so a reservation is a SIGHUP, never a restart.
            var hosts = (long)(net.Network.Broadcast - net.Network.Network) - 2;
            s.Append(CultureInfo.InvariantCulture, $"dhcp-range={net.DhcpStart},{net.DhcpEnd},{mask}\n");
            s.Append("dhcp-no-override\n");
            s.Append("dhcp-authoritative\n");
            s.Append(CultureInfo.InvariantCulture, $"dhcp-lease-max={hosts}\n");
            s.Append("dhcp-leasefile=").Append(paths.Leases).Append('\n');
            s.Append("dhcp-hostsfile=").Append(paths.HostsFile).Append('\n');
            if (net.Mtu is { } mtu)
            {
                // Sent even to clients that do not ask for option 26 (busybox udhcpc does not by default).
                s.Append(CultureInfo.InvariantCulture, $"dhcp-option-force=option:mtu,{mtu}\n");
            }

            if (net.Routes.Count > 0)
            {
                // A client that takes option 121 ignores option 3 (RFC 3442), so the default route leads the list.
                var routes = net.Mode == QemuNetworkMode.Isolated ? net.Routes.Select(r => $"{r.Destination},{r.Gateway}")
                    : [$"0.0.0.0/0,{net.Gateway}", .. net.Routes.Select(r => $"{r.Destination},{r.Gateway}")];
                s.Append("dhcp-option-force=option:classless-static-route,").Append(string.Join(',', routes)).Append('\n');
            }

            if (!net.Dns)
            {
                // No DNS here, so do not announce the host as the guests' name server.
                s.Append("dhcp-option=option:dns-server\n");
            }
        }

        if (net.Prefix6 is { } prefix)
        {
            // Router advertisements with the A bit (SLAAC) and stateful DHCPv6 (reservations) from one range;
            // ra-names gives dual-stack SLAAC guests their names in AAAA records too.
            s.Append("enable-ra\n");
            if (net.Dhcp)
            {
                s.Append(CultureInfo.InvariantCulture, $"dhcp-range={prefix.Host(0x1000)},{prefix.Host(0xffff)},slaac,ra-names,{Ipv6Prefix.Length}\n");
            }
            else
            {
                s.Append(CultureInfo.InvariantCulture, $"dhcp-range={prefix.Host(0)},ra-only,{Ipv6Prefix.Length}\n");
            }
            if (net.Mtu is { } mtu6)
            {
                s.Append(CultureInfo.InvariantCulture, $"ra-param={net.BridgeName},mtu:{mtu6},0\n");
            }
        }

        return s.ToString();
    }

    /// <summary>The dhcp-hostsfile (reloaded on SIGHUP): "mac,ip[,name]" per reservation.</summary>
    public static string RenderHosts(QemuNatNetwork net) =>
        string.Concat(net.Reservations.Select(r => $"{r.MacAddress},{r.IPAddress}" + (r.IPv6Address is null ? string.Empty : $",[{r.IPv6Address}]")
            + (r.HostName is null ? string.Empty : "," + r.HostName) + "\n"));

    /// <summary>
    /// The addn-hosts file (also reloaded on SIGHUP): "ip name[.domain] name" per reservation with a host name (both
    /// families), then the network's own DNS records.
    /// </summary>
    public static string RenderAddnHosts(QemuNatNetwork net) =>
        string.Concat(net.Reservations.Where(r => r.HostName is not null)
            .SelectMany(r => new[] { r.IPAddress, r.IPv6Address }.OfType<string>()
                .Select(a => $"{a} " + (net.DomainName is null ? r.HostName : $"{r.HostName}.{net.DomainName} {r.HostName}") + "\n")))
        + string.Concat(net.DnsRecords.Select(d => $"{d.Address} {d.Name}\n"));
}
