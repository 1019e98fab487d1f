using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace QemuNet.Core.Model;

public static class MacAddress
{
    /// <summary>QEMU/KVM's locally administered prefix; libvirt uses the same.</summary>
    public const string QemuPrefix = "52:54:00";

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff" into lower-case colon form; rejects multicast and all-zero.</summary>
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Trim().Split(value.Contains('-') ? '-' : ':');
        var bytes = new byte[6];
        var ok = parts.Length == 6;
        for (var i = 0; ok && i < 6; i++)
        {
            ok = parts[i].Length == 2
                && byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]);
        }

        if (!ok)
        {
            throw new QemuNetException("NicMacInvalid", QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is not a MAC address. Use six hexadecimal byte pairs, for example 52:54:00:12:34:56.",
                "Give -MacAddress as six hex pairs, e.g. 52:54:00:12:34:56.");
        }

        if ((bytes[0] & 1) != 0)
        {
            throw new QemuNetException("NicMacMulticast", QemuNetErrorCategory.InvalidArgument, value,
                $"'{value}' is a multicast MAC address (the lowest bit of the first byte is set); a NIC needs a unicast address such as 52:54:00:12:34:56.",
                "Give -MacAddress a unicast address (even first byte), e.g. 52:54:00:12:34:56.");
        }

        if (bytes.All(b => b == 0))
        {
            throw new QemuNetException("NicMacInvalid", QemuNetErrorCategory.InvalidArgument, value,
                "00:00:00:00:00:00 is not a usable MAC address.",
                "Give -MacAddress a nonzero address, e.g. 52:54:00:12:34:56.");
        }

        return Format(bytes);
    }

    /// <summary>A stable 52:54:00:xx:xx:xx for NIC <paramref name="index"/> of VM <paramref name="vmName"/>.</summary>
    public static string Derive(string vmName, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"qemunet/{vmName}/{index}"));
        return Format([0x52, 0x54, 0x00, hash[0], hash[1], hash[2]]);
    }

    private static string Format(byte[] bytes) =>
        string.Join(':', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
