using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QemuNet.Commands;

/// <summary>Completes bridge names of the -NetworkNamespace already typed (else of this namespace).</summary>
public sealed class BridgeNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        return Completion.Matching(Completion.Links(Completion.NamespaceOf(fakeBoundParameters), link => link.Kind == "bridge").Select(link => link.Name),
            wordToComplete);
    }
}
