using System.Management.Automation;

namespace QemuNet.HelpBuilder;

/// <summary>What help needs to know about a cmdlet, taken from PowerShell's own CmdletInfo (common parameters left out).</summary>
public sealed record CommandDefinition(
    string Name,
    string Verb,
    string Noun,
    IReadOnlyList<ParameterSetDefinition> ParameterSets,
    IReadOnlyList<ParameterDefinition> Parameters)
{
    /// <summary>The parameters every cmdlet has, which no page describes parameter by parameter.</summary>
    public static readonly IReadOnlySet<string> CommonParameterNames =
        new HashSet<string>(Cmdlet.CommonParameters.Append("UseTransaction"), StringComparer.OrdinalIgnoreCase);

    public static CommandDefinition FromCmdlet(CmdletInfo cmdlet)
    {
        var sets = cmdlet.ParameterSets.Select(set => new ParameterSetDefinition(
            set.Name,
            $"{cmdlet.Name} {set}",
            [.. set.Parameters.Where(p => !CommonParameterNames.Contains(p.Name)).Select(p => new ParameterBinding(
                p.Name, p.IsMandatory, p.Position >= 0 ? p.Position : null, p.ValueFromPipeline, p.ValueFromPipelineByPropertyName))]));
        var parameters = cmdlet.Parameters.Values.Where(p => !CommonParameterNames.Contains(p.Name)).Select(p =>
        {
            // A parameter's entry under PARAMETERS describes it once, so it shows how its first parameter set binds it.
            var first = p.ParameterSets.Values.First();
            return new ParameterDefinition(
                p.Name,
                p.ParameterType,
                [.. p.Aliases],
                p.Attributes.OfType<SupportsWildcardsAttribute>().Any(),
                new ParameterBinding(p.Name, first.IsMandatory, first.Position >= 0 ? first.Position : null,
                    first.ValueFromPipeline, first.ValueFromPipelineByPropertyName));
        });
        return new CommandDefinition(cmdlet.Name, cmdlet.Verb, cmdlet.Noun, [.. sets], [.. parameters]);
    }
}

/// <summary>Syntax is PowerShell's own syntax line for the set, as Get-Command -Syntax shows it.</summary>
public sealed record ParameterSetDefinition(string Name, string Syntax, IReadOnlyList<ParameterBinding> Parameters);

public sealed record ParameterDefinition(string Name, Type Type, IReadOnlyList<string> Aliases, bool SupportsWildcards, ParameterBinding Binding);

/// <summary>How one parameter set binds a parameter; Position is null for a named parameter.</summary>
public sealed record ParameterBinding(string Name, bool IsMandatory, int? Position, bool FromPipeline, bool FromPipelineByPropertyName);
