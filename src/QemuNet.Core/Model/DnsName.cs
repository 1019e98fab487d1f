using System.Text.RegularExpressions;

namespace QemuNet.Core.Model;

/// <summary>DNS names as dnsmasq and QEMU take them: labels of letters, digits and inner hyphens.</summary>
public static partial class DnsName
{
    /// <summary>Dot-separated labels of up to 63 characters, 253 in all.</summary>
    public static bool IsName(string value) => NamePattern().IsMatch(value);

    /// <summary>One label (a host name without a domain).</summary>
    public static bool IsLabel(string value) => LabelPattern().IsMatch(value);

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();
}
