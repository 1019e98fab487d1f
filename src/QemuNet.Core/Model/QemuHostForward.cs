using System.Globalization;
using System.Text.RegularExpressions;

namespace QemuNet.Core.Model;

public enum QemuForwardProtocol
{
    Tcp,
    Udp,
}

/// <summary>A user-mode (slirp) host forward: traffic to HostAddress:HostPort on the host goes to GuestAddress:GuestPort.</summary>
public sealed partial class QemuHostForward
{
    public const string DefaultHostAddress = "127.0.0.1";

    public QemuForwardProtocol Protocol { get; init; } = QemuForwardProtocol.Tcp;

    /// <summary>The host address to bind; 127.0.0.1 unless given, so a forward is not opened to the LAN by surprise.</summary>
    public string HostAddress { get; init; } = DefaultHostAddress;

    public int HostPort { get; init; }

    /// <summary>Empty means the guest's first DHCP address, as QEMU does.</summary>
    public string? GuestAddress { get; init; }

    public int GuestPort { get; init; }

    /// <summary>
    /// A forward from what a user may give: a forward object, "tcp:127.0.0.1:8080-:80", a port number (same port
    /// both sides), or something with properties Protocol, HostAddress, HostPort, GuestAddress, GuestPort
    /// (<paramref name="property"/> reads them from a hashtable or an object).
    /// </summary>
    public static QemuHostForward From(object value, Func<string, object?>? property) => value switch
    {
        QemuHostForward forward => Create(forward.Protocol, forward.HostAddress, forward.HostPort, forward.GuestAddress, forward.GuestPort),
        string text => Parse(text),
        int port => Create(QemuForwardProtocol.Tcp, null, port, null, port),
        _ when property is not null => FromProperties(property, value),
        _ => throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, value,
            $"'{value}' is not a host forward; give a string such as 'tcp:127.0.0.1:8080-:80' or '8080:80', or a hashtable with HostPort and GuestPort.",
            "Give -HostForward as 'tcp:127.0.0.1:8080-:80', '8080:80', or @{ HostPort = 8080; GuestPort = 80 }."),
    };

    private static QemuHostForward FromProperties(Func<string, object?> get, object whole)
    {
        var protocolText = get("Protocol")?.ToString();
        var protocol = QemuForwardProtocol.Tcp;
        if (protocolText is not null && !Enum.TryParse(protocolText, ignoreCase: true, out protocol))
        {
            throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, protocolText,
                $"The forward protocol '{protocolText}' is neither Tcp nor Udp.", "Set Protocol to Tcp or Udp (or leave it out for Tcp).");
        }

        return Create(protocol, get("HostAddress")?.ToString(), PortOf(get("HostPort"), whole), get("GuestAddress")?.ToString(), PortOf(get("GuestPort"), whole));
    }

    private static int PortOf(object? value, object whole) => value switch
    {
        null => throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, whole,
            "A host forward needs both HostPort and GuestPort.", "Give -HostForward as 'tcp:127.0.0.1:8080-:80', '8080:80', or @{ HostPort = 8080; GuestPort = 80 }."),
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        _ when int.TryParse(value.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) => p,
        _ => throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, value,
            $"The port '{value}' is not a number.", "Give ports as numbers from 1 to 65535."),
    };

    /// <summary>Builds a validated forward; ports must be 1-65535 and addresses dotted IPv4.</summary>
    public static QemuHostForward Create(QemuForwardProtocol protocol, string? hostAddress, int hostPort, string? guestAddress, int guestPort)
    {
        var host = string.IsNullOrEmpty(hostAddress) ? DefaultHostAddress : hostAddress;
        Ipv4Network.ParseAddress(host, "UserNetHostAddressInvalid");
        if (!string.IsNullOrEmpty(guestAddress))
        {
            Ipv4Network.ParseAddress(guestAddress, "UserNetGuestAddressInvalid");
        }

        Port.Check(hostPort, "UserNetHostPortInvalid", "host port", "Give each -HostForward a host port from 1 to 65535.");
        Port.Check(guestPort, "UserNetGuestPortInvalid", "guest port", "Give each -HostForward a guest port from 1 to 65535.");
        return new QemuHostForward
        {
            Protocol = protocol,
            HostAddress = host,
            HostPort = hostPort,
            GuestAddress = string.IsNullOrEmpty(guestAddress) ? null : guestAddress,
            GuestPort = guestPort,
        };
    }

    /// <summary>
    /// Parses QEMU's own hostfwd syntax "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport"
    /// and the short forms "hostport:guestport" and "tcp/hostport:guestport".
    /// </summary>
    public static QemuHostForward Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var m = QemuSyntax().Match(value);
        if (m.Success)
        {
            return Create(ParseProtocol(m.Groups["proto"].Value), m.Groups["haddr"].Value, ParsePort(m.Groups["hport"].Value, value),
                m.Groups["gaddr"].Value, ParsePort(m.Groups["gport"].Value, value));
        }

        m = ShortSyntax().Match(value);
        if (m.Success)
        {
            return Create(ParseProtocol(m.Groups["proto"].Value), null, ParsePort(m.Groups["hport"].Value, value),
                null, ParsePort(m.Groups["gport"].Value, value));
        }

        throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, value,
            $"'{value}' is not a host forward. Use QEMU's form 'tcp:127.0.0.1:8080-:80' or the short form '8080:80' (or 'udp/5353:53').",
            "Give -HostForward as 'tcp:127.0.0.1:8080-:80', '8080:80' or 'udp/5353:53'.");
    }

    /// <summary>The hostfwd value QEMU takes.</summary>
    public string ToQemuString() => string.Create(CultureInfo.InvariantCulture,
        $"{Protocol.ToString().ToLowerInvariant()}:{HostAddress}:{HostPort}-{GuestAddress}:{GuestPort}");

    /// <summary>True when both forwards would bind the same host socket (0.0.0.0 overlaps every address).</summary>
    public bool ConflictsWith(QemuHostForward other) =>
        Protocol == other.Protocol && HostPort == other.HostPort
        && (HostAddress == other.HostAddress || HostAddress == "0.0.0.0" || other.HostAddress == "0.0.0.0");

    public override string ToString() => ToQemuString();

    private static int ParsePort(string text, string whole) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, whole,
                $"'{whole}' has a port '{text}' that is not a number.",
                "Write the ports in -HostForward as numbers, e.g. '8080:80'.");

    private static QemuForwardProtocol ParseProtocol(string text) =>
        text.Length == 0 || text.Equals("tcp", StringComparison.OrdinalIgnoreCase) ? QemuForwardProtocol.Tcp : QemuForwardProtocol.Udp;

    [GeneratedRegex(@"^(?<proto>tcp|udp)?:(?<haddr>[0-9.]*):(?<hport>\d+)-(?<gaddr>[0-9.]*):(?<gport>\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QemuSyntax();

    [GeneratedRegex(@"^(?:(?<proto>tcp|udp)/)?(?<hport>\d+):(?<gport>\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ShortSyntax();
}

/// <summary>
/// A user network's forwards. Its text is the forwards in QEMU's own syntax, comma-separated, so a CSV cell
/// (Export-Csv writes a value's text) holds them whole and reads back; a plain array would give "System.Object[]".
/// </summary>
public sealed class QemuHostForwardList(IList<QemuHostForward> forwards) : System.Collections.ObjectModel.ReadOnlyCollection<QemuHostForward>(forwards)
{
    public override string ToString() => string.Join(",", this);
}
