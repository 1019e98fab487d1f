namespace QemuNet.HelpBuilder;

/// <summary>A block of help text, kept as the page wrote it (inline markdown such as `code` stays as typed).</summary>
public abstract record HelpBlock;

/// <summary>A paragraph; its source lines are joined with single spaces.</summary>
public sealed record ProseBlock(string Text) : HelpBlock;

/// <summary>A bulleted or numbered list, nested lists flattened with their depth.</summary>
public sealed record ListBlock(IReadOnlyList<ListEntry> Entries) : HelpBlock;

/// <summary>One list item: Marker is "-" or "1." and so on; Depth is 0 for the outermost list.</summary>
public sealed record ListEntry(int Depth, string Marker, string Text);

/// <summary>A fenced or indented code block; Language is its info string ("powershell", "output" or empty).</summary>
public sealed record CodeBlock(string Language, IReadOnlyList<string> Lines) : HelpBlock;

/// <summary>The syntax line the page shows for one parameter set (the heading without " (Default)").</summary>
public sealed record SyntaxHelp(string ParameterSetName, string Text);

/// <summary>Code is the example's first powershell block (null when it has none); Remarks is everything else.</summary>
public sealed record ExampleHelp(string Title, string? Code, IReadOnlyList<HelpBlock> Remarks);

/// <summary>Name without the leading '-'; DefaultValue comes from the "Default value:" line of the yaml block.</summary>
public sealed record ParameterHelp(string Name, IReadOnlyList<HelpBlock> Description, string? DefaultValue);

/// <summary>An entry of INPUTS or OUTPUTS: the type name as the heading gives it.</summary>
public sealed record TypeHelp(string TypeName, IReadOnlyList<HelpBlock> Description);

public sealed record RelatedLink(string Text, string Uri);

/// <summary>A PlatyPS cmdlet page. A section the page lacks is empty; UnknownSections names the ## headings this model has no place for.</summary>
public sealed record CommandHelpPage(
    string Title,
    IReadOnlyList<HelpBlock> Synopsis,
    IReadOnlyList<SyntaxHelp> Syntax,
    IReadOnlyList<HelpBlock> Description,
    IReadOnlyList<ExampleHelp> Examples,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<HelpBlock> Notes,
    IReadOnlyList<RelatedLink> RelatedLinks,
    IReadOnlyList<string> UnknownSections);

/// <summary>A heading of an about_ topic (Level 2 for ##, 3 for ###, ...) and the blocks under it.</summary>
public sealed record AboutSection(int Level, string Heading, IReadOnlyList<HelpBlock> Blocks);

public sealed record AboutPage(string Name, IReadOnlyList<AboutSection> Sections);
