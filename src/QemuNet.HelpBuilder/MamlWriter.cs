using System.Text;
using System.Xml;

namespace QemuNet.HelpBuilder;

/// <summary>Writes cmdlet help as MAML (the &lt;Module&gt;.dll-Help.xml that Get-Help reads).</summary>
public static class MamlWriter
{
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static void Write(Stream stream, IEnumerable<(CommandDefinition Command, CommandHelpPage Page)> commands)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var writer = XmlWriter.Create(stream, settings);
        writer.WriteStartDocument();
        writer.WriteStartElement("helpItems", "http://msh");
        writer.WriteAttributeString("schema", "maml");
        foreach (var (command, page) in commands)
        {
            WriteCommand(writer, command, page);
        }
        writer.WriteEndElement();
        writer.WriteEndDocument();
    }

    private static void WriteCommand(XmlWriter writer, CommandDefinition command, CommandHelpPage page)
    {
        writer.WriteStartElement("command", "command", Command);
        writer.WriteAttributeString("xmlns", "maml", null, Maml);
        writer.WriteAttributeString("xmlns", "dev", null, Dev);
        writer.WriteStartElement("command", "details", Command);
        writer.WriteElementString("command", "name", Command, command.Name);
        writer.WriteElementString("command", "verb", Command, command.Verb);
        writer.WriteElementString("command", "noun", Command, command.Noun);
        WriteDescription(writer, page.Synopsis);
        writer.WriteEndElement();
        WriteDescription(writer, page.Description);

        var descriptions = page.Parameters.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var definitions = command.Parameters.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        writer.WriteStartElement("command", "syntax", Command);
        foreach (var set in command.ParameterSets)
        {
            writer.WriteStartElement("command", "syntaxItem", Command);
            writer.WriteElementString("maml", "name", Maml, command.Name);
            // Positional parameters first, in position order, then the mandatory ones, as PowerShell's syntax line has them.
            foreach (var binding in set.Parameters.OrderBy(p => p.Position ?? int.MaxValue).ThenBy(p => !p.IsMandatory))
            {
                WriteParameter(writer, definitions[binding.Name], binding, descriptions[binding.Name]);
            }
            writer.WriteEndElement();
        }
        writer.WriteEndElement();

        writer.WriteStartElement("command", "parameters", Command);
        foreach (var parameter in command.Parameters.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase))
        {
            WriteParameter(writer, parameter, parameter.Binding, descriptions[parameter.Name]);
        }
        writer.WriteEndElement();

        WriteTypes(writer, "inputTypes", "inputType", page.Inputs);
        WriteTypes(writer, "returnValues", "returnValue", page.Outputs);

        if (page.Notes.Count > 0)
        {
            writer.WriteStartElement("maml", "alertSet", Maml);
            writer.WriteStartElement("maml", "alert", Maml);
            WriteParas(writer, page.Notes);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        writer.WriteStartElement("command", "examples", Command);
        foreach (var example in page.Examples)
        {
            writer.WriteStartElement("command", "example", Command);
            writer.WriteElementString("maml", "title", Maml, $"--------- {example.Title} ---------");
            writer.WriteElementString("dev", "code", Dev, example.Code);
            writer.WriteStartElement("dev", "remarks", Dev);
            WriteParas(writer, example.Remarks);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }
        writer.WriteEndElement();

        writer.WriteStartElement("command", "relatedLinks", Command);
        foreach (var link in page.RelatedLinks)
        {
            writer.WriteStartElement("maml", "navigationLink", Maml);
            writer.WriteElementString("maml", "linkText", Maml, link.Text);
            // A link to another page of this module is found by its text; only web addresses are real URIs.
            var isWeb = link.Uri.StartsWith("http:", StringComparison.OrdinalIgnoreCase) || link.Uri.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
            writer.WriteElementString("maml", "uri", Maml, isWeb ? link.Uri : "");
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
        writer.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter writer, ParameterDefinition parameter, ParameterBinding binding, ParameterHelp help)
    {
        var pipeline = new[] { binding.FromPipeline ? "ByValue" : null, binding.FromPipelineByPropertyName ? "ByPropertyName" : null }
            .OfType<string>().ToList();
        writer.WriteStartElement("command", "parameter", Command);
        writer.WriteAttributeString("required", Lower(binding.IsMandatory));
        writer.WriteAttributeString("variableLength", Lower(parameter.Type.IsArray));
        writer.WriteAttributeString("globbing", Lower(parameter.SupportsWildcards));
        writer.WriteAttributeString("pipelineInput", pipeline.Count > 0 ? $"True ({string.Join(", ", pipeline)})" : "False");
        writer.WriteAttributeString("position", binding.Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "named");
        writer.WriteAttributeString("aliases", parameter.Aliases.Count > 0 ? string.Join(", ", parameter.Aliases) : "none");
        writer.WriteElementString("maml", "name", Maml, parameter.Name);
        WriteDescription(writer, help.Description);
        var typeName = TypeNames.Of(parameter.Type);
        if (parameter.Type != typeof(System.Management.Automation.SwitchParameter))
        {
            writer.WriteStartElement("command", "parameterValue", Command);
            writer.WriteAttributeString("required", "true");
            writer.WriteAttributeString("variableLength", "false");
            writer.WriteString(typeName);
            writer.WriteEndElement();
        }
        writer.WriteStartElement("dev", "type", Dev);
        writer.WriteElementString("maml", "name", Maml, typeName);
        writer.WriteEndElement();
        writer.WriteElementString("dev", "defaultValue", Dev, help.DefaultValue ?? "None");
        writer.WriteEndElement();
    }

    private static void WriteTypes(XmlWriter writer, string listElement, string itemElement, IReadOnlyList<TypeHelp> types)
    {
        writer.WriteStartElement("command", listElement, Command);
        foreach (var type in types)
        {
            writer.WriteStartElement("command", itemElement, Command);
            writer.WriteStartElement("dev", "type", Dev);
            writer.WriteElementString("maml", "name", Maml, type.TypeName);
            writer.WriteEndElement();
            WriteDescription(writer, type.Description);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
    }

    private static void WriteDescription(XmlWriter writer, IReadOnlyList<HelpBlock> blocks)
    {
        writer.WriteStartElement("maml", "description", Maml);
        WriteParas(writer, blocks);
        writer.WriteEndElement();
    }

    private static void WriteParas(XmlWriter writer, IEnumerable<HelpBlock> blocks)
    {
        foreach (var para in MamlParagraphs.Of(blocks))
        {
            writer.WriteElementString("maml", "para", Maml, para);
        }
    }

    private static string Lower(bool value) => value ? "true" : "false";
}
