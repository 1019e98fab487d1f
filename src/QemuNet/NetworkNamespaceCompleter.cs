using QemuNet.Core.Engine;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QemuNet.Commands;

/// <summary>Completes -NetworkNamespace with the namespaces `ip netns` knows (the entries of /run/netns).</summary>
public sealed class NetworkNamespaceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (!Directory.Exists(NetworkNamespaceId.NamedDirectory))
        {
            return [];
        }

        var names = Directory.EnumerateFiles(NetworkNamespaceId.NamedDirectory).Select(Path.GetFileName).OfType<string>()
            .Where(NetworkNamespaceId.IsName).Order(StringComparer.Ordinal);
        return Completion.Matching(names, wordToComplete);
    }
}
