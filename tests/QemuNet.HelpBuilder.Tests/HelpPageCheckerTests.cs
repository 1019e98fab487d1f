namespace QemuNet.HelpBuilder.Tests;

public class HelpPageCheckerTests
{
    private static IReadOnlyList<string> Check(string markdown, CommandDefinition? command = null) =>
        HelpPageChecker.Check(HelpMarkdownReader.ReadCommandPage(markdown), command ?? SamplePage.Command, markdown);

    [Fact]
    public void AGoodPageHasNoProblems() => Assert.Empty(Check(SamplePage.Markdown));

    [Fact]
    public void AParameterThePageLacksIsNamed()
    {
        var command = SamplePage.Command with
        {
            Parameters = [.. SamplePage.Command.Parameters, new ParameterDefinition("Shelf", typeof(string), [], false, new ParameterBinding("Shelf", false, null, false, false))],
        };
        Assert.Equal(["does not describe -Shelf"], Check(SamplePage.Markdown, command));
    }

    [Fact]
    public void AParameterTheCmdletLacksIsNamed()
    {
        var command = SamplePage.Command with { Parameters = [.. SamplePage.Command.Parameters.Where(p => p.Name != "Count")] };
        Assert.Equal(["describes -Count, which the cmdlet does not have"], Check(SamplePage.Markdown, command));
    }

    [Fact]
    public void AParameterWithoutTextIsNamed() =>
        Assert.Equal(["has no text for -Id"], Check(SamplePage.With("The widget id.", "")));

    [Fact]
    public void PlaceholdersFailThePage() =>
        Assert.Equal(["has unfilled {{ }} placeholders"], Check(SamplePage.With("Gets widget 7.", "{{ Add example description here }}")));

    [Fact]
    public void OneExampleIsTooFew()
    {
        var markdown = SamplePage.With("### Example 2: One widget\n```powershell\nGet-Widget -Id 7\n```\n\nGets widget 7.\n", "");
        Assert.Equal(["has 1 example(s); at least 2 are needed"], Check(markdown));
    }

    [Fact]
    public void AnExampleWithoutPowerShellCodeIsNamed() =>
        Assert.Equal(["has no ```powershell block in 'Example 2: One widget'"], Check(SamplePage.With("```powershell\nGet-Widget -Id 7", "```\nGet-Widget -Id 7")));

    [Fact]
    public void SynopsisAndDescriptionAreRequired()
    {
        var markdown = SamplePage.With("## SYNOPSIS\nGets widgets.\n", "").Replace("## DESCRIPTION", "## DESCRIPTON", StringComparison.Ordinal);
        Assert.Equal(["has a section '## DESCRIPTON' that a cmdlet page does not have", "has no SYNOPSIS", "has no DESCRIPTION"], Check(markdown));
    }

    [Fact]
    public void TheTitleMustNameTheCmdlet() =>
        Assert.Equal(["has the title 'Get-Widgets' instead of '# Get-Widget'"], Check(SamplePage.With("# Get-Widget\n", "# Get-Widgets\n")));

    [Fact]
    public void TheSyntaxMustBeTheCmdletsOwn()
    {
        Assert.Equal(
            ["shows the syntax of ById as 'Get-Widget -Id <int> [<CommonParameters>]' instead of 'Get-Widget -Id <int> [-Count <int>] [<CommonParameters>]'"],
            Check(SamplePage.With("Get-Widget -Id <int> [-Count <int>]\n", "Get-Widget -Id <int>\n")));
        Assert.Equal(
            ["shows no syntax for the parameter set ById", "shows syntax for a parameter set ByKey, which the cmdlet does not have"],
            Check(SamplePage.With("### ById", "### ByKey")));
    }

    [Fact]
    public void AnOutputBlockThatGetHelpWouldMisalignIsNamed()
    {
        var markdown = SamplePage.With("Name  Count\n----  -----", "      Count\n  ---------");
        Assert.Equal(
            ["has a code block in 'Example 1: All widgets' whose first line is indented more than another line (Get-Help trims the first line, so the lines would not line up)"],
            Check(markdown));
    }

    [Fact]
    public void AnOutputBlockIndentedAsAWholeIsFine() =>
        Assert.Empty(Check(SamplePage.With("Name  Count\n----  -----\nleft      1\nright    12", "  Name  Count\n  ----  -----\n  left      1\n  right    12")));
}
