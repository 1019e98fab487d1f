namespace QemuNet.HelpBuilder;

/// <summary>
/// Turns help blocks into the text of maml:para elements. Get-Help trims each para and then indents every line
/// of it alike, so a code or output block is one para whose lines carry only their indentation relative to each other.
/// </summary>
public static class MamlParagraphs
{
    public static IEnumerable<string> Of(IEnumerable<HelpBlock> blocks) => blocks.Select(Of).Where(p => p.Length > 0);

    public static string Of(HelpBlock block) => block switch
    {
        ProseBlock prose => prose.Text,
        ListBlock list => string.Join("\n", list.Entries.Select(e => $"{new string(' ', 2 * e.Depth)}{e.Marker} {e.Text}")),
        CodeBlock code => string.Join("\n", Dedent(code.Lines)),
        _ => throw new ArgumentOutOfRangeException(nameof(block), block, "Unknown help block."),
    };

    /// <summary>The block's lines without blank lines around them and without the indentation all of them share.</summary>
    public static IReadOnlyList<string> Dedent(IReadOnlyList<string> lines)
    {
        var first = lines.ToList().FindIndex(l => l.Trim().Length > 0);
        if (first < 0)
        {
            return [];
        }
        var last = lines.ToList().FindLastIndex(l => l.Trim().Length > 0);
        var kept = lines.Skip(first).Take(last - first + 1).Select(l => l.TrimEnd()).ToList();
        var indent = kept.Where(l => l.Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return [.. kept.Select(l => l.Length == 0 ? l : l[indent..])];
    }

    /// <summary>True when Get-Help would misalign the block: its first line is indented more than another line.</summary>
    public static bool LosesAlignment(CodeBlock code) => Dedent(code.Lines) is [var first, ..] && char.IsWhiteSpace(first[0]);
}
