using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace QemuNet.Core.Bridge;

/// <summary>The host network configurations a bridge with an uplink can be handed to, so it comes up at boot the distribution's way.</summary>
public enum QemuBridgeConfigFormat
{
    /// <summary>systemd-networkd: a .netdev for the bridge, a .network for the uplink port and one for the bridge's addresses.</summary>
    Networkd,

    /// <summary>Debian's ifupdown: an interfaces(5) stanza for the bridge (bridge_ports) and the uplink (manual).</summary>
    Ifupdown,

    /// <summary>NetworkManager keyfiles: a bridge connection and a port connection for the uplink.</summary>
    NetworkManager,
}

/// <summary>How the bridge gets its addresses: by DHCP, or these static ones with a default gateway.</summary>
public sealed record BridgeAddressing(bool Dhcp, IReadOnlyList<string> Addresses, string? Gateway, string? Gateway6 = null);

/// <summary>One file of an export: its name inside the target folder, its text and its mode.</summary>
public sealed record BridgeConfigFile(string FileName, string Text, string Mode);

/// <summary>Writes a bridge (with its uplink as port, STP, forward delay, addresses) in a host network configuration's own format.</summary>
public static class BridgeConfigExport
{
    public static string DefaultFolder(QemuBridgeConfigFormat format) => format switch
    {
        QemuBridgeConfigFormat.Networkd => "/etc/systemd/network",
        QemuBridgeConfigFormat.Ifupdown => "/etc/network/interfaces.d",
        _ => "/etc/NetworkManager/system-connections",
    };

    public static IReadOnlyList<BridgeConfigFile> Render(QemuBridgeConfigFormat format, QemuBridge bridge, BridgeAddressing addressing)
    {
        var uplink = bridge.Uplink ?? throw new QemuNetException("BridgeConfigNoUplink", QemuNetErrorCategory.InvalidArgument, bridge.Name,
            $"The bridge {bridge.Name} has no uplink, so it takes nothing of the host's network at boot: Restore-QemuNetwork brings it back.",
            "Give a bridge made with New-QemuBridge -Uplink, or make it with New-QemuBridge -AutoStart.");
        return format switch
        {
            QemuBridgeConfigFormat.Networkd => Networkd(bridge, uplink, addressing),
            QemuBridgeConfigFormat.Ifupdown => Ifupdown(bridge, uplink, addressing),
            _ => NetworkManager(bridge, uplink, addressing),
        };
    }

    private const string Header = "# Written by QemuNet (Export-QemuBridgeConfig) for bridge ";

    private static IReadOnlyList<BridgeConfigFile> Networkd(QemuBridge bridge, string uplink, BridgeAddressing a)
    {
        var netdev = new StringBuilder();
        netdev.Append(Header).Append(bridge.Name).Append(".\n[NetDev]\nName=").Append(bridge.Name).Append("\nKind=bridge\n\n[Bridge]\n");
        netdev.Append("STP=").Append(bridge.Stp ? "yes" : "no").Append('\n');
        if (bridge.ForwardDelay is { } delay)
        {
            netdev.Append(CultureInfo.InvariantCulture, $"ForwardDelaySec={delay}\n");
        }

        var port = $"{Header}{bridge.Name}.\n[Match]\nName={uplink}\n\n[Network]\nBridge={bridge.Name}\n";
        var network = new StringBuilder();
        network.Append(Header).Append(bridge.Name).Append(".\n[Match]\nName=").Append(bridge.Name).Append("\n\n[Network]\n");
        if (a.Dhcp)
        {
            network.Append("DHCP=yes\n");
        }
        else
        {
            foreach (var address in a.Addresses)
            {
                network.Append("Address=").Append(address).Append('\n');
            }

            foreach (var gateway in new[] { a.Gateway, a.Gateway6 }.OfType<string>())
            {
                network.Append("Gateway=").Append(gateway).Append('\n');
            }
        }

        return
        [
            new($"25-{bridge.Name}.netdev", netdev.ToString(), "644"),
            new($"25-{bridge.Name}-port-{uplink}.network", port, "644"),
            new($"25-{bridge.Name}.network", network.ToString(), "644"),
        ];
    }

    private static IReadOnlyList<BridgeConfigFile> Ifupdown(QemuBridge bridge, string uplink, BridgeAddressing a)
    {
        var s = new StringBuilder();
        s.Append(Header).Append(bridge.Name).Append(" (bridge_* options need the bridge-utils package).\n");
        s.Append("auto ").Append(bridge.Name).Append('\n');
        var v4 = a.Addresses.Where(x => !x.Contains(':', StringComparison.Ordinal)).ToArray();
        var v6 = a.Addresses.Where(x => x.Contains(':', StringComparison.Ordinal)).ToArray();
        s.Append("iface ").Append(bridge.Name).Append(" inet ").Append(a.Dhcp ? "dhcp" : v4.Length > 0 ? "static" : "manual").Append('\n');
        if (!a.Dhcp)
        {
            foreach (var address in v4)
            {
                s.Append("    address ").Append(address).Append('\n');
            }

            if (a.Gateway is not null && v4.Length > 0)
            {
                s.Append("    gateway ").Append(a.Gateway).Append('\n');
            }
        }

        s.Append("    bridge_ports ").Append(uplink).Append('\n');
        s.Append("    bridge_stp ").Append(bridge.Stp ? "on" : "off").Append('\n');
        s.Append(CultureInfo.InvariantCulture, $"    bridge_fd {bridge.ForwardDelay ?? (bridge.Stp ? 15 : 0)}\n");
        if (!a.Dhcp && v6.Length > 0)
        {
            s.Append("\niface ").Append(bridge.Name).Append(" inet6 static\n");
            foreach (var address in v6)
            {
                s.Append("    address ").Append(address).Append('\n');
            }

            if (a.Gateway6 is not null)
            {
                s.Append("    gateway ").Append(a.Gateway6).Append('\n');
            }
        }

        // The uplink carries no address of its own: the bridge has them.
        s.Append("\niface ").Append(uplink).Append(" inet manual\n");
        return [new(bridge.Name, s.ToString(), "644")];
    }

    private static IReadOnlyList<BridgeConfigFile> NetworkManager(QemuBridge bridge, string uplink, BridgeAddressing a)
    {
        var b = new StringBuilder();
        b.Append(Header).Append(bridge.Name).Append(".\n[connection]\nid=").Append(bridge.Name).Append("\nuuid=").Append(Uuid(bridge.Name))
            .Append("\ntype=bridge\ninterface-name=").Append(bridge.Name).Append("\n\n[bridge]\nstp=").Append(bridge.Stp ? "true" : "false").Append('\n');
        if (bridge.ForwardDelay is { } delay)
        {
            b.Append(CultureInfo.InvariantCulture, $"forward-delay={delay}\n");
        }

        var v4 = a.Addresses.Where(x => !x.Contains(':', StringComparison.Ordinal)).ToArray();
        var v6 = a.Addresses.Where(x => x.Contains(':', StringComparison.Ordinal)).ToArray();
        b.Append("\n[ipv4]\n");
        AppendMethod(b, a.Dhcp ? "auto" : v4.Length > 0 ? "manual" : "disabled", v4, a.Gateway);
        b.Append("\n[ipv6]\n");
        AppendMethod(b, a.Dhcp || v6.Length == 0 ? "auto" : "manual", a.Dhcp ? [] : v6, a.Gateway6);
        var port = $"{Header}{bridge.Name}.\n[connection]\nid={bridge.Name}-port-{uplink}\nuuid={Uuid(bridge.Name + "/" + uplink)}\ntype=ethernet\n"
            + $"interface-name={uplink}\nmaster={bridge.Name}\nslave-type=bridge\n";
        // NetworkManager ignores keyfiles others can read (they may hold secrets).
        return [new($"{bridge.Name}.nmconnection", b.ToString(), "600"), new($"{bridge.Name}-port-{uplink}.nmconnection", port, "600")];

        static void AppendMethod(StringBuilder s, string method, IReadOnlyList<string> addresses, string? gateway)
        {
            s.Append("method=").Append(method).Append('\n');
            for (var i = 0; i < addresses.Count; i++)
            {
                s.Append(CultureInfo.InvariantCulture, $"address{i + 1}={addresses[i]}").Append(i == 0 && gateway is not null ? "," + gateway : string.Empty).Append('\n');
            }
        }
    }

    /// <summary>A name-based UUID (RFC 4122 version 5 shape): the same for the same bridge every time, so exports are stable.</summary>
    private static string Uuid(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("qemunet-bridge/" + name));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        var hex = Convert.ToHexString(hash, 0, 16).ToLowerInvariant();
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}
