using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace QemuNet.Core.Qemu;

/// <summary>
/// Builds one QEMU option string ("type,key=value,…"). Values have commas doubled, QEMU's only escape,
/// so a value can never start a new key; control characters are refused outright.
/// </summary>
public sealed partial class QemuOptionBuilder
{
    private readonly StringBuilder _text = new();

    /// <summary>A bare leading word such as the netdev type or the device driver.</summary>
    public QemuOptionBuilder Add(string word)
    {
        Append(Escape(word, word));
        return this;
    }

    public QemuOptionBuilder Add(string key, string? value)
    {
        if (value is not null)
        {
            Append(key + "=" + Escape(value, value));
        }

        return this;
    }

    public QemuOptionBuilder Add(string key, int? value) =>
        value is null ? this : Add(key, value.Value.ToString(CultureInfo.InvariantCulture));

    public override string ToString() => _text.ToString();

    public static string Escape(string value, object target)
    {
        if (value.Any(char.IsControl))
        {
            throw new QemuNetException("QemuOptionValueInvalid", QemuNetErrorCategory.InvalidArgument, target,
                "A QEMU option value may not contain control characters such as newlines.",
                "Remove newlines and other control characters from that value.");
        }

        return value.Replace(",", ",,", StringComparison.Ordinal);
    }

    private void Append(string part)
    {
        if (_text.Length > 0)
        {
            _text.Append(',');
        }

        _text.Append(part);
    }

}
