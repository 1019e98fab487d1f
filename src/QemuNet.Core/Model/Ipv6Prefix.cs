using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace QemuNet.Core.Model;

/// <summary>
/// A network's IPv6 prefix: a /64 (what SLAAC needs) of global unicast or unique-local space, written as the network
/// address. Link-local, multicast, loopback and the unspecified prefix are refused.
/// </summary>
public readonly record struct Ipv6Prefix
{
    public const int Length = 64;

    private readonly ulong _high;

    private Ipv6Prefix(ulong high) => _high = high;

    /// <summary>The prefix's n-th address (n below 2^64): 1 is the gateway's.</summary>
    public IPAddress Host(ulong n)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), n);
        return new IPAddress(bytes);
    }

    public bool Contains(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && High(address) == _high;

    /// <summary>True when the route address/length shares any address with this /64.</summary>
    public bool Overlaps(IPAddress address, int length)
    {
        var bits = Math.Min(length, Length);
        var mask = bits == 0 ? 0UL : ulong.MaxValue << (64 - bits);
        return address.AddressFamily == AddressFamily.InterNetworkV6 && (High(address) & mask) == (_high & mask);
    }

    public override string ToString() => Host(0) + "/" + Length.ToString(CultureInfo.InvariantCulture);

    public static Ipv6Prefix Parse(string value, string errorId)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !TryParseAddress(value[..slash], out var address)
            || !int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > 128)
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is not an IPv6 prefix such as fd42:1:2:3::/64.",
                "Give -Subnet6 a /64 prefix, e.g. fd42:1:2:3::/64, or use -Ipv6 to have one chosen.");
        }

        if (length != Length)
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is a /{length}: guests configure themselves (SLAAC) only in a /64.",
                "Give -Subnet6 a /64 prefix, e.g. fd42:1:2:3::/64.");
        }

        var bytes = address.GetAddressBytes();
        var kind = bytes[0] == 0xff ? "a multicast prefix"
            : bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 ? "a link-local prefix (every link has its own)"
            : bytes.Take(8).All(b => b == 0) ? "inside ::/64 (unspecified, loopback and IPv4-mapped addresses)"
            : null;
        if (kind is not null)
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is {kind}; a network needs global or unique-local (fc00::/7) addresses.",
                "Give -Subnet6 a unique-local /64 such as fd42:1:2:3::/64, or use -Ipv6 to have one chosen.");
        }

        var prefix = new Ipv6Prefix(High(address));
        if (!prefix.Host(0).Equals(address))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' has host bits set; the prefix is {prefix}.", $"Give the prefix itself: {prefix}.");
        }

        return prefix;
    }

    /// <summary>
    /// A unique-local /64 (RFC 4193: fd + 40 bits) for the network <paramref name="networkName"/> on the host
    /// <paramref name="machineId"/>: the same every time here, and not the one another host picks for that name.
    /// </summary>
    public static Ipv6Prefix DeriveUniqueLocal(string networkName, string machineId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("qemunet-ula\n" + machineId.Trim() + "\n" + networkName));
        ulong high = 0xfdUL << 56;
        for (var i = 0; i < 5; i++)
        {
            high |= (ulong)hash[i] << (48 - (8 * i));
        }

        // The 16-bit subnet id stays 0: one /64 per network.
        return new Ipv6Prefix(high);
    }

    /// <summary>The host's machine-id (systemd's, or D-Bus's), which makes derived prefixes differ between hosts.</summary>
    public static string ReadMachineId()
    {
        foreach (var path in new[] { "/etc/machine-id", "/var/lib/dbus/machine-id" })
        {
            try
            {
                if (File.ReadAllText(path).Trim() is { Length: > 0 } id)
                {
                    return id;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new QemuNetException("NatMachineIdMissing", QemuNetErrorCategory.ObjectNotFound, "/etc/machine-id",
            "The host has no machine-id (/etc/machine-id), so no prefix unique to it can be derived.",
            "Give -Subnet6 a prefix yourself, e.g. fd42:1:2:3::/64, or create one with systemd-machine-id-setup.");
    }

    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains('%', StringComparison.Ordinal) || !text.Contains(':', StringComparison.Ordinal)
            || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>An IPv6 address in the canonical text form (RFC 5952, as ip and nft print it).</summary>
    public static string ParseAddress(string text, string errorId) => TryParseAddress(text, out var address) ? address.ToString()
        : throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, text,
            $"'{text}' is not an IPv6 address.", "Give an IPv6 address such as fd42:1:2:3::10.");

    private static ulong High(IPAddress address) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address.GetAddressBytes());
}
