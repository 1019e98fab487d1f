using System.Text;

namespace QemuNet.Core.Model;

public static class InterfaceName
{
    /// <summary>Linux link names: 1-15 bytes of [A-Za-z0-9_.-], not "." or "..".</summary>
    public static string Check(string? name, string errorId)
    {
        if (string.IsNullOrEmpty(name) || Encoding.UTF8.GetByteCount(name) > 15 || name is "." or ".."
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, name,
                $"'{name}' is not a usable interface name: 1 to 15 characters from letters, digits, '_', '.' and '-'.",
                "Give a link name of 1 to 15 letters, digits, '_', '.' or '-', such as br0 or eth0.");
        }

        return name;
    }
}
