using System.Text.RegularExpressions;

namespace QemuNet.HelpBuilder;

/// <summary>Finds where a page is out of step with its cmdlet or unfinished: help must never lie or be missing.</summary>
public static partial class HelpPageChecker
{
    public const int MinimumExamples = 2;

    /// <summary>One phrase per problem, such as "does not describe -Name"; none for a good page.</summary>
    public static IReadOnlyList<string> Check(CommandHelpPage page, CommandDefinition command, string markdown)
    {
        var problems = new List<string>();
        if (markdown.Contains("{{", StringComparison.Ordinal))
        {
            problems.Add("has unfilled {{ }} placeholders");
        }
        if (page.Title != command.Name)
        {
            problems.Add($"has the title '{page.Title}' instead of '# {command.Name}'");
        }
        problems.AddRange(page.UnknownSections.Select(s => $"has a section '## {s}' that a cmdlet page does not have"));
        if (!HasText(page.Synopsis))
        {
            problems.Add("has no SYNOPSIS");
        }
        if (!HasText(page.Description))
        {
            problems.Add("has no DESCRIPTION");
        }
        problems.AddRange(CheckSyntax(page, command));
        problems.AddRange(CheckParameters(page, command));
        problems.AddRange(CheckExamples(page));
        problems.AddRange(CheckCodeAlignment(page));
        return problems;
    }

    private static IEnumerable<string> CheckSyntax(CommandHelpPage page, CommandDefinition command)
    {
        // PowerShell wraps syntax lines freely, so only the words count.
        var shown = page.Syntax.ToDictionary(s => s.ParameterSetName, s => Words(s.Text), StringComparer.OrdinalIgnoreCase);
        foreach (var set in command.ParameterSets)
        {
            if (!shown.TryGetValue(set.Name, out var words))
            {
                yield return $"shows no syntax for the parameter set {set.Name}";
            }
            else if (words != Words(set.Syntax))
            {
                yield return $"shows the syntax of {set.Name} as '{words}' instead of '{Words(set.Syntax)}'";
            }
        }
        foreach (var name in shown.Keys.Where(n => !command.ParameterSets.Any(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase))))
        {
            yield return $"shows syntax for a parameter set {name}, which the cmdlet does not have";
        }
    }

    private static IEnumerable<string> CheckParameters(CommandHelpPage page, CommandDefinition command)
    {
        var described = page.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var actual = command.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in command.Parameters.Select(p => p.Name).Where(n => !described.Contains(n)))
        {
            yield return $"does not describe -{name}";
        }
        foreach (var parameter in page.Parameters)
        {
            if (!actual.Contains(parameter.Name))
            {
                yield return $"describes -{parameter.Name}, which the cmdlet does not have";
            }
            else if (!HasText(parameter.Description))
            {
                yield return $"has no text for -{parameter.Name}";
            }
        }
        foreach (var twice in page.Parameters.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            yield return $"describes -{twice.Key} {twice.Count()} times";
        }
    }

    private static IEnumerable<string> CheckExamples(CommandHelpPage page)
    {
        if (page.Examples.Count < MinimumExamples)
        {
            yield return $"has {page.Examples.Count} example(s); at least {MinimumExamples} are needed";
        }
        foreach (var example in page.Examples)
        {
            if (string.IsNullOrWhiteSpace(example.Code))
            {
                yield return $"has no ```powershell block in '{example.Title}'";
            }
        }
    }

    private static IEnumerable<string> CheckCodeAlignment(CommandHelpPage page)
    {
        var texts = new List<(string Where, IReadOnlyList<HelpBlock> Blocks)> { ("DESCRIPTION", page.Description), ("NOTES", page.Notes) };
        texts.AddRange(page.Examples.Select(e => ($"'{e.Title}'", e.Remarks)));
        texts.AddRange(page.Parameters.Select(p => ($"-{p.Name}", p.Description)));
        texts.AddRange(page.Inputs.Concat(page.Outputs).Select(t => (t.TypeName, t.Description)));
        foreach (var (where, _) in texts.Where(t => t.Blocks.OfType<CodeBlock>().Any(MamlParagraphs.LosesAlignment)))
        {
            yield return $"has a code block in {where} whose first line is indented more than another line " +
                "(Get-Help trims the first line, so the lines would not line up)";
        }
    }

    private static bool HasText(IEnumerable<HelpBlock> blocks) => MamlParagraphs.Of(blocks).Any(p => p.Trim().Length > 0);

    private static string Words(string text) => WhiteSpace().Replace(text, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
