namespace QemuNet.HelpBuilder;

/// <summary>en-US/&lt;Cmdlet&gt;.md -> &lt;Module&gt;.dll-Help.xml; en-US/about_*.md -> about_*.help.txt.</summary>
public static class HelpBuild
{
    /// <summary>Checks every page and writes the help only when all are good; returns the problems, one sentence each.</summary>
    public static IReadOnlyList<string> Run(string moduleName, IReadOnlyList<CommandDefinition> commands, string sourceDirectory, string targetDirectory)
    {
        var problems = new List<string>();
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(sourceDirectory));
        var pageNames = commands.Select(c => c.Name + ".md").ToHashSet(StringComparer.Ordinal);
        var entries = Directory.EnumerateFileSystemEntries(sourceDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
        foreach (var name in entries.Where(n => !pageNames.Contains(n) && !IsAboutTopic(n)))
        {
            problems.Add($"{folder}/{name} is neither the page of an exported cmdlet (<Cmdlet>.md) nor an about_<Topic>.md; remove or rename it.");
        }

        var pages = new List<(CommandDefinition, CommandHelpPage)>();
        foreach (var command in commands)
        {
            var path = Path.Combine(sourceDirectory, command.Name + ".md");
            if (!File.Exists(path))
            {
                problems.Add($"Help page {folder}/{command.Name}.md is missing for {command.Name}.");
                continue;
            }
            var markdown = File.ReadAllText(path);
            var page = HelpMarkdownReader.ReadCommandPage(markdown);
            var pageProblems = HelpPageChecker.Check(page, command, markdown);
            if (pageProblems.Count > 0)
            {
                problems.Add($"Help page {folder}/{command.Name}.md {string.Join("; ", pageProblems)}.");
            }
            pages.Add((command, page));
        }
        if (problems.Count > 0)
        {
            return problems;
        }

        Directory.CreateDirectory(targetDirectory);
        using (var maml = File.Create(Path.Combine(targetDirectory, $"{moduleName}.dll-Help.xml")))
        {
            MamlWriter.Write(maml, pages);
        }
        foreach (var about in Directory.EnumerateFiles(sourceDirectory, "about_*.md"))
        {
            var name = Path.GetFileNameWithoutExtension(about);
            var text = AboutTextWriter.Render(HelpMarkdownReader.ReadAboutPage(name, File.ReadAllText(about)));
            File.WriteAllText(Path.Combine(targetDirectory, name + ".help.txt"), text);
        }
        return problems;
    }

    private static bool IsAboutTopic(string fileName) =>
        fileName.StartsWith("about_", StringComparison.Ordinal) && fileName.EndsWith(".md", StringComparison.Ordinal)
        && fileName.Length > "about_.md".Length;
}
