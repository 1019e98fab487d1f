namespace QemuNet.HelpBuilder.Tests;

/// <summary>A small cmdlet page in PlatyPS format, and the cmdlet it describes.</summary>
internal static class SamplePage
{
    public const string Markdown = """
        ---
        external help file: Sample.dll-Help.xml
        Module Name: Sample
        schema: 2.0.0
        ---

        # Get-Widget

        ## SYNOPSIS
        Gets widgets.

        ## SYNTAX

        ### ByName (Default)
        ```
        Get-Widget [[-Name] <string[]>] [-Count <int>] [<CommonParameters>]
        ```

        ### ById
        ```
        Get-Widget -Id <int> [-Count <int>]
         [<CommonParameters>]
        ```

        ## DESCRIPTION
        Get-Widget reads widgets
        from the shelf.

        - `Red`: a red one,
          spread over two lines.
        - `Blue`: a blue one.
          1. nested

        ## EXAMPLES

        ### Example 1: All widgets
        ```powershell
        Get-Widget
        ## not a heading: a comment inside the code
        ```

        Lists every widget.

        ```output
        Name  Count
        ----  -----
        left      1
        right    12
        ```

        ### Example 2: One widget
        ```powershell
        Get-Widget -Id 7
        ```

        Gets widget 7.

        ## PARAMETERS

        ### -Name
        The widget names.

        ```yaml
        Type: String[]
        Default value: * (all widgets)
        ```

        ### -Id
        The widget id.

        ```yaml
        Type: Int32
        Default value: None
        ```

        ### -Count
        How many to get at most.

        ```yaml
        Type: Int32
        ```

        ### CommonParameters
        This cmdlet supports the common parameters.

        ## INPUTS

        ### System.String
        Names by property name.

        ## OUTPUTS

        ### Sample.Widget
        One object per widget.

        ## NOTES
        Widgets are read only.

        ## RELATED LINKS

        [Set-Widget](Set-Widget.md)

        [Online](https://example.invalid/widgets)

        """;

    public static readonly CommandDefinition Command = new(
        "Get-Widget",
        "Get",
        "Widget",
        [
            new ParameterSetDefinition("ByName", "Get-Widget [[-Name] <string[]>] [-Count <int>] [<CommonParameters>]",
            [
                new ParameterBinding("Name", false, 0, false, true),
                new ParameterBinding("Count", false, null, false, false),
            ]),
            new ParameterSetDefinition("ById", "Get-Widget -Id <int> [-Count <int>] [<CommonParameters>]",
            [
                new ParameterBinding("Count", false, null, false, false),
                new ParameterBinding("Id", true, null, false, false),
            ]),
        ],
        [
            new ParameterDefinition("Name", typeof(string[]), ["WidgetName"], true, new ParameterBinding("Name", false, 0, false, true)),
            new ParameterDefinition("Id", typeof(int), [], false, new ParameterBinding("Id", true, null, false, false)),
            new ParameterDefinition("Count", typeof(int?), [], false, new ParameterBinding("Count", false, null, false, false)),
        ]);

    /// <summary>The sample with one piece of text replaced, for the checks.</summary>
    public static string With(string oldText, string newText)
    {
        Assert.Contains(oldText, Markdown, StringComparison.Ordinal);
        return Markdown.Replace(oldText, newText, StringComparison.Ordinal);
    }
}
