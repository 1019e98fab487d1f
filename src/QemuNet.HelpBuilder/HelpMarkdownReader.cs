using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace QemuNet.HelpBuilder;

/// <summary>Reads PlatyPS-format markdown (cmdlet pages and about_ topics) into the help model.</summary>
public static class HelpMarkdownReader
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    // Sections whose ### headings start entries (an example, a parameter, a type) rather than being text.
    private static readonly HashSet<string> EntrySections = ["SYNTAX", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS"];

    private static readonly HashSet<string> KnownSections =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    public static CommandHelpPage ReadCommandPage(string markdown)
    {
        markdown = markdown.ReplaceLineEndings("\n");
        var document = Markdown.Parse(markdown, Pipeline);
        var title = "";
        var sections = new Dictionary<string, List<Block>>(StringComparer.Ordinal);
        var entries = new Dictionary<string, List<(string Heading, List<Block> Blocks)>>(StringComparer.Ordinal);
        var unknown = new List<string>();
        List<Block>? current = null;
        string? section = null;
        foreach (var block in document)
        {
            if (block is YamlFrontMatterBlock)
            {
                continue;
            }
            if (block is HeadingBlock heading && heading.Level <= 2)
            {
                var text = HeadingText(markdown, heading);
                if (heading.Level == 1)
                {
                    title = text;
                    current = null;
                    continue;
                }
                section = text;
                if (!KnownSections.Contains(section))
                {
                    unknown.Add(section);
                }
                current = sections[section] = [];
                continue;
            }
            if (block is HeadingBlock entry && section is not null && EntrySections.Contains(section))
            {
                var list = entries.TryGetValue(section, out var existing) ? existing : entries[section] = [];
                current = [];
                list.Add((HeadingText(markdown, entry), current));
                continue;
            }
            current?.Add(block);
        }

        IReadOnlyList<HelpBlock> SectionText(string name) =>
            sections.TryGetValue(name, out var blocks) ? ToHelpBlocks(markdown, blocks) : [];
        List<(string Heading, List<Block> Blocks)> Entries(string name) =>
            entries.TryGetValue(name, out var list) ? list : [];

        return new CommandHelpPage(
            title,
            SectionText("SYNOPSIS"),
            [.. Entries("SYNTAX").Select(e => ReadSyntax(e.Heading, e.Blocks))],
            SectionText("DESCRIPTION"),
            [.. Entries("EXAMPLES").Select(e => ReadExample(markdown, e.Heading, e.Blocks))],
            [.. Entries("PARAMETERS").Where(e => e.Heading != "CommonParameters").Select(e => ReadParameter(markdown, e.Heading, e.Blocks))],
            [.. Entries("INPUTS").Select(e => new TypeHelp(e.Heading, ToHelpBlocks(markdown, e.Blocks)))],
            [.. Entries("OUTPUTS").Select(e => new TypeHelp(e.Heading, ToHelpBlocks(markdown, e.Blocks)))],
            SectionText("NOTES"),
            sections.TryGetValue("RELATED LINKS", out var links) ? ReadLinks(links) : [],
            unknown);
    }

    /// <summary>about_Name.md: the # title is the topic name and is not repeated; ## and deeper headings make sections.</summary>
    public static AboutPage ReadAboutPage(string name, string markdown)
    {
        markdown = markdown.ReplaceLineEndings("\n");
        var document = Markdown.Parse(markdown, Pipeline);
        var sections = new List<(int Level, string Heading, List<Block> Blocks)>();
        foreach (var block in document)
        {
            if (block is HeadingBlock heading)
            {
                if (heading.Level >= 2)
                {
                    sections.Add((heading.Level, HeadingText(markdown, heading), []));
                }
                continue;
            }
            if (block is not YamlFrontMatterBlock && sections.Count > 0)
            {
                sections[^1].Blocks.Add(block);
            }
        }
        return new AboutPage(name, [.. sections.Select(s => new AboutSection(s.Level, s.Heading, ToHelpBlocks(markdown, s.Blocks)))]);
    }

    private static SyntaxHelp ReadSyntax(string heading, List<Block> blocks)
    {
        const string defaultMark = " (Default)";
        var setName = heading.EndsWith(defaultMark, StringComparison.Ordinal) ? heading[..^defaultMark.Length] : heading;
        var code = blocks.OfType<FencedCodeBlock>().FirstOrDefault();
        return new SyntaxHelp(setName, code is null ? "" : string.Join("\n", CodeLines(code)));
    }

    private static ExampleHelp ReadExample(string markdown, string title, List<Block> blocks)
    {
        var code = blocks.OfType<FencedCodeBlock>().FirstOrDefault(b => b.Info == "powershell");
        var remarks = ToHelpBlocks(markdown, [.. blocks.Where(b => b != code)]);
        return new ExampleHelp(title, code is null ? null : string.Join("\n", CodeLines(code)), remarks);
    }

    private static ParameterHelp ReadParameter(string markdown, string heading, List<Block> blocks)
    {
        // The yaml block restates what the cmdlet's metadata says; only its default value is the page's own.
        var yaml = blocks.OfType<FencedCodeBlock>().FirstOrDefault(b => b.Info == "yaml");
        var defaultValue = yaml is null
            ? null
            : CodeLines(yaml).Where(l => l.StartsWith("Default value:", StringComparison.Ordinal))
                .Select(l => l["Default value:".Length..].Trim()).FirstOrDefault();
        return new ParameterHelp(heading.TrimStart('-'), ToHelpBlocks(markdown, [.. blocks.Where(b => b != yaml)]), defaultValue);
    }

    private static IReadOnlyList<RelatedLink> ReadLinks(List<Block> blocks) =>
        [.. blocks.SelectMany(b => b is LeafBlock leaf ? [leaf] : b.Descendants<LeafBlock>())
            .SelectMany(leaf => leaf.Inline?.Descendants<LinkInline>() ?? [])
            .Select(l => new RelatedLink(string.Concat(l.Descendants<LiteralInline>().Select(t => t.Content.ToString())), l.Url ?? ""))];

    private static IReadOnlyList<HelpBlock> ToHelpBlocks(string markdown, List<Block> blocks) =>
        [.. blocks.Select(b => ToHelpBlock(markdown, b))];

    private static HelpBlock ToHelpBlock(string markdown, Block block) => block switch
    {
        FencedCodeBlock fenced => new CodeBlock(fenced.Info ?? "", CodeLines(fenced)),
        Markdig.Syntax.CodeBlock indented => new CodeBlock("", CodeLines(indented)),
        Markdig.Syntax.ListBlock list => new ListBlock([.. ListEntries(markdown, list, 0)]),
        HeadingBlock heading => new ProseBlock(HeadingText(markdown, heading)),
        _ => new ProseBlock(JoinedLines(markdown, block)),
    };

    private static IEnumerable<ListEntry> ListEntries(string markdown, Markdig.Syntax.ListBlock list, int depth)
    {
        var number = int.TryParse(list.OrderedStart, out var start) ? start : 1;
        foreach (var item in list.OfType<ListItemBlock>())
        {
            var marker = list.IsOrdered ? $"{number++}{list.OrderedDelimiter}" : "-";
            var text = string.Join(" ", item.Where(b => b is not Markdig.Syntax.ListBlock).Select(b => JoinedLines(markdown, b)));
            yield return new ListEntry(depth, marker, text);
            foreach (var nested in item.OfType<Markdig.Syntax.ListBlock>().SelectMany(l => ListEntries(markdown, l, depth + 1)))
            {
                yield return nested;
            }
        }
    }

    // Markdig releases a paragraph's lines once it has parsed its inlines, so the text comes from the source span.
    private static string JoinedLines(string markdown, Block block) =>
        string.Join(" ", SourceText(markdown, block).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string HeadingText(string markdown, HeadingBlock heading) =>
        SourceText(markdown, heading).TrimStart('#').Trim();

    private static string SourceText(string markdown, Block block) =>
        block.Span.IsEmpty ? "" : markdown.Substring(block.Span.Start, block.Span.Length);

    private static IReadOnlyList<string> CodeLines(LeafBlock code) =>
        [.. Enumerable.Range(0, code.Lines.Count).Select(i => code.Lines.Lines[i].ToString())];
}
