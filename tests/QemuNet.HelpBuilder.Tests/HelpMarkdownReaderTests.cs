namespace QemuNet.HelpBuilder.Tests;

public class HelpMarkdownReaderTests
{
    private static readonly CommandHelpPage Page = HelpMarkdownReader.ReadCommandPage(SamplePage.Markdown);

    [Fact]
    public void ReadsTitleSynopsisAndDescription()
    {
        Assert.Equal("Get-Widget", Page.Title);
        Assert.Equal([new ProseBlock("Gets widgets.")], Page.Synopsis);
        Assert.Equal(2, Page.Description.Count);
        Assert.Equal(new ProseBlock("Get-Widget reads widgets from the shelf."), Page.Description[0]);
        var list = Assert.IsType<ListBlock>(Page.Description[1]);
        Assert.Equal(
            [new ListEntry(0, "-", "`Red`: a red one, spread over two lines."), new ListEntry(0, "-", "`Blue`: a blue one."), new ListEntry(1, "1.", "nested")],
            list.Entries);
        Assert.Empty(Page.UnknownSections);
    }

    [Fact]
    public void ReadsSyntaxPerParameterSetWithoutTheDefaultMark()
    {
        Assert.Equal(["ByName", "ById"], Page.Syntax.Select(s => s.ParameterSetName));
        Assert.Equal("Get-Widget -Id <int> [-Count <int>]\n [<CommonParameters>]", Page.Syntax[1].Text);
    }

    [Fact]
    public void ReadsExamplesAsTitleCodeAndRemarks()
    {
        Assert.Equal(["Example 1: All widgets", "Example 2: One widget"], Page.Examples.Select(e => e.Title));
        var first = Page.Examples[0];
        Assert.Equal("Get-Widget\n## not a heading: a comment inside the code", first.Code);
        Assert.Equal(new ProseBlock("Lists every widget."), first.Remarks[0]);
        var output = Assert.IsType<CodeBlock>(first.Remarks[1]);
        Assert.Equal("output", output.Language);
        Assert.Equal(["Name  Count", "----  -----", "left      1", "right    12"], output.Lines);
    }

    [Fact]
    public void ReadsParametersWithTheirDefaultValueAndWithoutCommonParameters()
    {
        Assert.Equal(["Name", "Id", "Count"], Page.Parameters.Select(p => p.Name));
        Assert.Equal([new ProseBlock("The widget names.")], Page.Parameters[0].Description);
        Assert.Equal("* (all widgets)", Page.Parameters[0].DefaultValue);
        Assert.Null(Page.Parameters[2].DefaultValue);
    }

    [Fact]
    public void ReadsInputsOutputsNotesAndLinks()
    {
        var input = Page.Inputs.Single();
        Assert.Equal("System.String", input.TypeName);
        Assert.Equal([new ProseBlock("Names by property name.")], input.Description);
        Assert.Equal("Sample.Widget", Page.Outputs.Single().TypeName);
        Assert.Equal([new ProseBlock("Widgets are read only.")], Page.Notes);
        Assert.Equal([new RelatedLink("Set-Widget", "Set-Widget.md"), new RelatedLink("Online", "https://example.invalid/widgets")], Page.RelatedLinks);
    }

    [Fact]
    public void NamesSectionsThatACmdletPageDoesNotHave()
    {
        var page = HelpMarkdownReader.ReadCommandPage(SamplePage.With("## NOTES", "## REMARKS"));
        Assert.Equal(["REMARKS"], page.UnknownSections);
        Assert.Empty(page.Notes);
    }

    [Fact]
    public void ReadsAnAboutTopicIntoSections()
    {
        var page = HelpMarkdownReader.ReadAboutPage("about_Widgets", """
            # about_Widgets

            ## SHORT DESCRIPTION
            Widgets.

            ## LONG DESCRIPTION
            All about
            widgets.

            ### SHAPES
            ```powershell
            Get-Widget
            ```
            """);
        Assert.Equal("about_Widgets", page.Name);
        Assert.Equal([(2, "SHORT DESCRIPTION"), (2, "LONG DESCRIPTION"), (3, "SHAPES")], page.Sections.Select(s => (s.Level, s.Heading)));
        Assert.Equal([new ProseBlock("All about widgets.")], page.Sections[1].Blocks);
        Assert.Equal(["Get-Widget"], Assert.IsType<CodeBlock>(page.Sections[2].Blocks.Single()).Lines);
    }
}
