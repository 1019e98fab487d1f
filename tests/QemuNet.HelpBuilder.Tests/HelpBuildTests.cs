namespace QemuNet.HelpBuilder.Tests;

public sealed class HelpBuildTests : IDisposable
{
    private readonly string _source = Directory.CreateTempSubdirectory("qemunet-help-src-").FullName;
    private readonly string _target = Path.Combine(Path.GetTempPath(), "qemunet-help-out-" + Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        Directory.Delete(_source, true);
        if (Directory.Exists(_target))
        {
            Directory.Delete(_target, true);
        }
    }

    private IReadOnlyList<string> Run() => HelpBuild.Run("Sample", [SamplePage.Command], _source, _target);

    private void WritePage(string name, string text) => File.WriteAllText(Path.Combine(_source, name), text);

    [Fact]
    public void WritesMamlAndAboutTopicsForGoodPages()
    {
        WritePage("Get-Widget.md", SamplePage.Markdown);
        WritePage("about_Widgets.md", "# about_Widgets\n\n## SHORT DESCRIPTION\nWidgets.\n");
        Assert.Empty(Run());
        Assert.Contains("<command:name>Get-Widget</command:name>", File.ReadAllText(Path.Combine(_target, "Sample.dll-Help.xml")), StringComparison.Ordinal);
        Assert.Equal("TOPIC\n    about_Widgets\n\nSHORT DESCRIPTION\n    Widgets.\n\n", File.ReadAllText(Path.Combine(_target, "about_Widgets.help.txt")));
    }

    [Fact]
    public void RefusesFilesThatAreNeitherCmdletPagesNorAboutTopics()
    {
        WritePage("Get-Widget.md", SamplePage.Markdown);
        WritePage("Get-Widget,Set-Widget.md", "");
        WritePage("notes.txt", "");
        Assert.Equal(
        [
            $"{Path.GetFileName(_source)}/Get-Widget,Set-Widget.md is neither the page of an exported cmdlet (<Cmdlet>.md) nor an about_<Topic>.md; remove or rename it.",
            $"{Path.GetFileName(_source)}/notes.txt is neither the page of an exported cmdlet (<Cmdlet>.md) nor an about_<Topic>.md; remove or rename it.",
        ], Run());
        Assert.False(Directory.Exists(_target), "nothing is written when a check fails");
    }

    [Fact]
    public void NamesAMissingPageAndEachProblemOfABadOne()
    {
        Assert.Equal([$"Help page {Path.GetFileName(_source)}/Get-Widget.md is missing for Get-Widget."], Run());
        WritePage("Get-Widget.md", SamplePage.With("The widget id.", "{{ Fill Id Description }}").Replace("### -Count", "### -Limit", StringComparison.Ordinal));
        Assert.Equal(
            [$"Help page {Path.GetFileName(_source)}/Get-Widget.md has unfilled {{{{ }}}} placeholders; does not describe -Count; describes -Limit, which the cmdlet does not have."],
            Run());
    }
}
