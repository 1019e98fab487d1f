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
        var netns = fakeBoundParameters["NetworkNamespace"] as string;
        string dir;
        try
        {
            var id = string.IsNullOrEmpty(netns) ? NetworkNamespaceId.Current() : NetworkNamespaceId.Named(netns);
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

/// <summary>Completes host link names (for -Uplink) from /sys/class/net.</summary>
public sealed class LinkNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        return Completion.Matching(Completion.HostLinks(dir => Path.GetFileName(dir) != "lo"), wordToComplete);
    }
}
