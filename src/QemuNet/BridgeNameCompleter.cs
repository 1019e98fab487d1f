using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QemuNet.Commands;

/// <summary>Completes bridge names of this namespace (links with a /sys/class/net/NAME/bridge directory).</summary>
public sealed class BridgeNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return Directory.Exists("/sys/class/net")
            ? Directory.EnumerateFileSystemEntries("/sys/class/net")
                .Where(d => Directory.Exists(Path.Combine(d, "bridge")))
                .Select(Path.GetFileName).OfType<string>()
                .Where(pattern.IsMatch).Order(StringComparer.Ordinal)
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
            : [];
    }
}
