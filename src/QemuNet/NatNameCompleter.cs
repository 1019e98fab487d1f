using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QemuNet.Commands;

/// <summary>Completes NAT network names from the state directory, for the -NetworkNamespace already typed.</summary>
public sealed class NatNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var netns = Completion.NamespaceOf(fakeBoundParameters);
        string dir;
        try
        {
            var id = netns is null ? NetworkNamespaceId.Current() : NetworkNamespaceId.Named(netns);
            dir = Path.Combine(StateDirectory.Resolve(), NatManager.Kind, id.Key);
        }
        catch (QemuNet.Core.QemuNetException)
        {
            return [];
        }

        if (!Directory.Exists(dir))
        {
            return [];
        }

        return Completion.Matching(Directory.EnumerateFiles(dir, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal),
            wordToComplete);
    }
}
