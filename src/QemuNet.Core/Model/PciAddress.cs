using System.Globalization;

namespace QemuNet.Core.Model;

public static class PciAddress
{
    /// <summary>
    /// Accepts QEMU's addr forms: "slot" or "slot.function" in hex, optional 0x prefixes (5, 0x05, 05.1).
    /// Returns the canonical "ss.f" form QEMU parses back to the same devfn.
    /// </summary>
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Trim().Split('.');
        if (parts.Length is 1 or 2
            && TryHex(parts[0], out var slot) && slot <= 0x1f
            && (parts.Length == 1 || (TryHex(parts[1], out var fn) && fn <= 7)))
        {
            var function = parts.Length == 2 ? int.Parse(Strip(parts[1]), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) : 0;
            return string.Create(CultureInfo.InvariantCulture, $"{slot:x2}.{function:x}");
        }

        throw new QemuNetException("NicPciAddressInvalid", QemuNetErrorCategory.InvalidArgument, value,
            $"'{value}' is not a PCI address. Give the slot (hex 00-1f) and optionally the function (0-7), for example 05 or 0x05.0.",
            "Give -PciAddress a hex slot from 00 to 1f, optionally with a function, e.g. 05 or 05.1.");
    }

    private static string Strip(string s) => s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;

    private static bool TryHex(string s, out int value)
    {
        s = Strip(s);
        value = 0;
        return s.Length is > 0 and <= 2
            && int.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
