namespace QemuNet.HelpBuilder.Tests;

public class AboutTextWriterTests
{
    [Fact]
    public void WrapsTextAtTheWidthWithItsIndent()
    {
        var words = string.Join(" ", Enumerable.Range(1, 40).Select(i => $"word{i}"));
        var lines = AboutTextWriter.Wrap(words, "    ", "    ").ToList();
        Assert.All(lines, l => Assert.True(l.Length <= AboutTextWriter.Width, $"'{l}' is longer than {AboutTextWriter.Width}"));
        Assert.All(lines, l => Assert.Matches("^    word", l));
        Assert.Equal(words, string.Join(" ", lines.Select(l => l.Trim())));
        Assert.True(lines[0].Length + 1 + "wordNN".Length > AboutTextWriter.Width, "a line is filled before it wraps");
    }

    [Fact]
    public void AWordLongerThanALineStandsAlone()
    {
        var path = "/" + string.Join("/", Enumerable.Repeat("directory", 10));
        Assert.Equal(["    see", $"    {path}", "    here"], AboutTextWriter.Wrap($"see {path} here", "    ", "    "));
    }

    [Fact]
    public void RendersTheClassicLayout()
    {
        var page = new AboutPage("about_Widgets",
        [
            new AboutSection(2, "Short description", [new ProseBlock("Widgets.")]),
            new AboutSection(3, "Shapes", [
                new CodeBlock("powershell", ["Get-Widget |", "    Select-Object Name"]),
                new ListBlock([new ListEntry(0, "-", string.Join(" ", Enumerable.Repeat("round", 16))), new ListEntry(1, "-", "flat")]),
            ]),
        ]);
        var expected = """
            TOPIC
                about_Widgets

            SHORT DESCRIPTION
                Widgets.

              SHAPES
                    Get-Widget |
                        Select-Object Name

                - round round round round round round round round round round round round
                  round round round round
                  - flat


            """;
        Assert.Equal(expected, AboutTextWriter.Render(page));
    }
}
