using System.Text;

namespace QemuNet.Core.Model;

public static class InterfaceName
{
    /// <summary>IFNAMSIZ - 1.</summary>
    public const int MaxBytes = 15;

    // Words `ip link`/`ip addr` read as keywords where a device name may stand: a link called "dev" or "help"
    // can be made by netlink but never named on ip's command line again, so it could never be removed.
    private static readonly HashSet<string> IpKeywords = new(StringComparer.Ordinal)
    {
        "address", "alias", "all", "any", "broadcast", "default", "dev", "down", "group", "help", "index", "label", "link",
        "master", "mtu", "name", "netns", "nomaster", "peer", "scope", "to", "type", "up", "vf",
    };

    /// <summary>Linux link names: 1-15 bytes of [A-Za-z0-9_.-], not "." or "..", and not a word `ip` takes as a keyword.</summary>
    public static string Check(string? name, string errorId)
    {
        if (string.IsNullOrEmpty(name) || Encoding.UTF8.GetByteCount(name) > MaxBytes || name is "." or ".."
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, name,
                $"'{name}' is not a usable interface name: 1 to 15 characters from letters, digits, '_', '.' and '-'.",
                "Give a link name of 1 to 15 letters, digits, '_', '.' or '-', such as br0 or eth0.");
        }

        if (IpKeywords.Contains(name))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, name,
                $"'{name}' is a keyword of the ip command, so a link of that name could not be managed (or removed) with it.",
                "Choose another name, such as br0 or qn-lab.");
        }

        return name;
    }
}
