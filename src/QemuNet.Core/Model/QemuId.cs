using System.Text.RegularExpressions;

namespace QemuNet.Core.Model;

public static partial class QemuId
{
    /// <summary>QEMU ids: a letter, then letters, digits, '-', '.', '_' (QEMU's id_wellformed), at most 63 here.</summary>
    public static string Check(string id, string errorId)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, id,
                $"'{id}' is not a valid QEMU id: start with a letter, then letters, digits, '-', '.' or '_', at most 63 characters.",
                "Give -Id a letter, then letters, digits, '-', '.' or '_', e.g. net0.");
        }

        return id;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
