using System.Text;

namespace QemuNet.Core.Qemu;

/// <summary>One option of a command line as written: -net and its value, and where it stood ("column 12", "argument 3").</summary>
public sealed record QemuCliOption(string Name, string? Value, string Where)
{
    public override string ToString() => Value is null ? Name : $"{Name} {Value}";
}

/// <summary>
/// A QEMU option string read back into its key=value pairs, in order, repeated keys kept (hostfwd): the inverse of
/// <see cref="QemuOptionBuilder"/>. QEMU's rules (util/qemu-option.c): ",," is a comma inside a value; a first
/// element without '=' is the value of an implied key (the type or driver); a later bare word is key=on.
/// </summary>
public sealed class QemuOptionPairs(IReadOnlyList<KeyValuePair<string, string>> items)
{
    public IReadOnlyList<KeyValuePair<string, string>> Items { get; } = items;

    public static QemuOptionPairs Parse(string text, string impliedKey)
    {
        var items = new List<KeyValuePair<string, string>>();
        var part = new StringBuilder();
        var parts = new List<string>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ',' && i + 1 < text.Length && text[i + 1] == ',')
            {
                part.Append(',');
                i++;
            }
            else if (text[i] == ',')
            {
                parts.Add(part.ToString());
                part.Clear();
            }
            else
            {
                part.Append(text[i]);
            }
        }

        parts.Add(part.ToString());
        for (var i = 0; i < parts.Count; i++)
        {
            var equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (equals < 0 && i == 0)
            {
                items.Add(new(impliedKey, parts[i]));
            }
            else if (equals == 0 || (equals < 0 && parts[i].Length == 0))
            {
                throw new QemuNetException("CommandLineOptionStringInvalid", QemuNetErrorCategory.InvalidArgument, parts[i],
                    $"'{text}' has an empty parameter name at part {i + 1}.", "Write each part as key=value, separated by single commas.");
            }
            else
            {
                items.Add(equals < 0 ? new(parts[i], "on") : new(parts[i][..equals], parts[i][(equals + 1)..]));
            }
        }

        return new QemuOptionPairs(items);
    }

    public string? First(string key) => Items.FirstOrDefault(p => p.Key == key).Value;

    public IEnumerable<string> All(string key) => Items.Where(p => p.Key == key).Select(p => p.Value);

    public QemuOptionPairs Without(params string[] keys) => new(Items.Where(p => !keys.Contains(p.Key)).ToList());

    public QemuOptionPairs Only(params string[] keys) => new(Items.Where(p => keys.Contains(p.Key)).ToList());

    public QemuOptionPairs Renamed(string from, string to) => new(Items.Select(p => p.Key == from ? new KeyValuePair<string, string>(to, p.Value) : p).ToList());

    /// <summary>Written back as an option string, the implied key's value first and bare.</summary>
    public string ToOptionString(string impliedKey)
    {
        var builder = new QemuOptionBuilder();
        foreach (var (key, value) in Items)
        {
            if (key == impliedKey)
            {
                builder.Add(value);
            }
            else
            {
                builder.Add(key, value);
            }
        }

        return builder.ToString();
    }
}
