using System.Text;

namespace QemuNet.HelpBuilder;

/// <summary>Renders an about_ topic in the classic about_*.help.txt layout: upper-case headings, text indented and wrapped.</summary>
public static class AboutTextWriter
{
    /// <summary>Lines are at most this long, so the topic reads in an 80-column terminal without wrapping twice.</summary>
    public const int Width = 79;

    private const string TextIndent = "    ";
    private const string CodeIndent = "        ";

    public static string Render(AboutPage page)
    {
        var lines = new List<string> { "TOPIC", TextIndent + page.Name, "" };
        foreach (var section in page.Sections)
        {
            lines.Add((section.Level > 2 ? "  " : "") + section.Heading.ToUpperInvariant());
            foreach (var block in section.Blocks)
            {
                switch (block)
                {
                    case ProseBlock prose:
                        lines.AddRange(Wrap(prose.Text, TextIndent, TextIndent));
                        break;
                    case ListBlock list:
                        foreach (var entry in list.Entries)
                        {
                            var indent = TextIndent + new string(' ', 2 * entry.Depth);
                            lines.AddRange(Wrap(entry.Text, $"{indent}{entry.Marker} ", indent + new string(' ', entry.Marker.Length + 1)));
                        }
                        break;
                    case CodeBlock code:
                        lines.AddRange(MamlParagraphs.Dedent(code.Lines).Select(l => l.Length == 0 ? l : CodeIndent + l));
                        break;
                }
                lines.Add("");
            }
        }
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Fills lines up to Width; a word longer than a line gets a line of its own rather than being cut.</summary>
    public static IEnumerable<string> Wrap(string text, string firstIndent, string nextIndent)
    {
        var line = new StringBuilder(firstIndent);
        var empty = true;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                yield return line.ToString();
                line.Clear().Append(nextIndent);
                empty = true;
            }
            line.Append(empty ? "" : " ").Append(word);
            empty = false;
        }
        yield return line.ToString();
    }
}
