using System.Xml.Linq;

namespace QemuNet.HelpBuilder.Tests;

public class MamlWriterTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static XDocument Write()
    {
        using var stream = new MemoryStream();
        MamlWriter.Write(stream, [(SamplePage.Command, HelpMarkdownReader.ReadCommandPage(SamplePage.Markdown))]);
        stream.Position = 0;
        return XDocument.Load(stream);
    }

    private static XElement Parameter(XDocument maml, string name) =>
        maml.Descendants(Command + "parameters").Elements(Command + "parameter").Single(p => (string?)p.Element(Maml + "name") == name);

    [Fact]
    public void OutputBlocksKeepTheirLinesAlignedInOnePara()
    {
        var remarks = Write().Descendants(Dev + "remarks").First().Elements(Maml + "para").Select(p => p.Value).ToList();
        // Get-Help trims a para and indents each of its lines alike: no line may carry an indent of its own.
        Assert.Equal(["Lists every widget.", "Name  Count\n----  -----\nleft      1\nright    12"], remarks);
    }

    [Fact]
    public void ListsKeepOneLinePerItem()
    {
        var description = Write().Root!.Element(Command + "command")!.Element(Maml + "description")!.Elements(Maml + "para").Select(p => p.Value);
        Assert.Equal(["Get-Widget reads widgets from the shelf.", "- `Red`: a red one, spread over two lines.\n- `Blue`: a blue one.\n  1. nested"], description);
    }

    [Fact]
    public void ParameterTypesHaveReadableNames()
    {
        var maml = Write();
        Assert.DoesNotContain("Nullable", maml.ToString(), StringComparison.Ordinal);
        var count = Parameter(maml, "Count");
        Assert.Equal("Int32", count.Element(Command + "parameterValue")!.Value);
        Assert.Equal("Int32", count.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        var name = Parameter(maml, "Name");
        Assert.Equal("String[]", name.Element(Command + "parameterValue")!.Value);
        Assert.Equal("true", name.Attribute("variableLength")!.Value);
        Assert.Equal("true", name.Attribute("globbing")!.Value);
        Assert.Equal("True (ByPropertyName)", name.Attribute("pipelineInput")!.Value);
        Assert.Equal("0", name.Attribute("position")!.Value);
        Assert.Equal("WidgetName", name.Attribute("aliases")!.Value);
        Assert.Equal("* (all widgets)", name.Element(Dev + "defaultValue")!.Value);
        Assert.Equal("None", count.Element(Dev + "defaultValue")!.Value);
    }

    [Fact]
    public void SyntaxItemsListMandatoryParametersFirstAfterPositionalOnes()
    {
        var items = Write().Descendants(Command + "syntaxItem").ToList();
        Assert.Equal(["Name", "Count"], items[0].Elements(Command + "parameter").Select(p => (string?)p.Element(Maml + "name")));
        Assert.Equal(["Id", "Count"], items[1].Elements(Command + "parameter").Select(p => (string?)p.Element(Maml + "name")));
        Assert.Equal("true", items[1].Elements(Command + "parameter").First().Attribute("required")!.Value);
    }

    [Fact]
    public void ExamplesNotesAndLinksArePresent()
    {
        var maml = Write();
        var example = maml.Descendants(Command + "example").First();
        Assert.Equal("--------- Example 1: All widgets ---------", example.Element(Maml + "title")!.Value);
        Assert.Equal("Get-Widget\n## not a heading: a comment inside the code", example.Element(Dev + "code")!.Value);
        Assert.Equal("Widgets are read only.", maml.Descendants(Maml + "alert").Single().Value);
        var links = maml.Descendants(Maml + "navigationLink").Select(l => (l.Element(Maml + "linkText")!.Value, l.Element(Maml + "uri")!.Value));
        Assert.Equal([("Set-Widget", ""), ("Online", "https://example.invalid/widgets")], links);
    }
}
