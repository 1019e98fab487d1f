using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace QemuNet.Core.Model;

/// <summary>An IPv4 network in CIDR form; the address must be the network address itself.</summary>
public readonly record struct Ipv4Network(uint Network, int PrefixLength)
{
    public uint Mask => PrefixLength == 0 ? 0u : uint.MaxValue << (32 - PrefixLength);

    /// <summary>True when the two networks share any address.</summary>
    public bool Overlaps(Ipv4Network other)
    {
        var len = Math.Min(PrefixLength, other.PrefixLength);
        var mask = len == 0 ? 0u : uint.MaxValue << (32 - len);
        return (Network & mask) == (other.Network & mask);
    }

    /// <summary>A route's destination as `ip route` prints it (host bits allowed, any prefix), reduced to its network.</summary>
    public static bool TryParse(string value, out Ipv4Network network)
    {
        network = default;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !TryParseAddress(value[..slash], out var address)
            || !int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
        {
            return false;
        }

        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        network = new Ipv4Network(address & mask, prefix);
        return true;
    }

    public static Ipv4Network Parse(string value, string errorId)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0
            && TryParseAddress(value[..slash], out var address)
            && int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            && prefix is >= 1 and <= 30)
        {
            var network = new Ipv4Network(address, prefix);
            if ((address & network.Mask) == address)
            {
                return network;
            }

            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' has host bits set; the network address is {new Ipv4Network(address & network.Mask, prefix)}.",
                $"Give the network address instead: {new Ipv4Network(address & network.Mask, prefix)}.");
        }

        throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
            $"'{value}' is not an IPv4 network in CIDR form with a prefix of 1 to 30, for example 10.0.2.0/24.",
            "Give the network in CIDR form with a prefix of 1 to 30, e.g. 192.168.100.0/24.");
    }

    public static uint ParseAddress(string value, string errorId)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (TryParseAddress(value, out var address))
        {
            return address;
        }

        throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, value,
            $"'{value}' is not an IPv4 address in dotted form, for example 10.0.2.15.",
            "Give a dotted IPv4 address of four numbers from 0 to 255, e.g. 10.0.2.15.");
    }

    /// <summary>
    /// Strict dotted-quad only: IPAddress.Parse also takes "10.2" or "0x0a000001", and reads "010" as octal 8,
    /// which would surprise; so an octet with a leading zero is refused too, and the text is always canonical.
    /// </summary>
    public static bool TryParseAddress(string value, out uint address)
    {
        address = 0;
        var parts = value.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0'))
            || !IPAddress.TryParse(value, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        address = BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes());
        return true;
    }

    public static string FormatAddress(uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPAddress(bytes).ToString();
    }

    public bool Contains(uint address) => (address & Mask) == Network;

    /// <summary>The usable host addresses exclude the network and broadcast addresses.</summary>
    public bool ContainsHost(uint address) => Contains(address) && address != Network && address != Broadcast;

    public uint Broadcast => Network | ~Mask;

    public uint Host(uint offset) => Network + offset;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{FormatAddress(Network)}/{PrefixLength}");
}
