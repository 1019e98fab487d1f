using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using QemuNet.Core.Host;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Completes NAT network names from the state directory, for the -NetworkNamespace already typed.</summary>
public sealed class NatNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var netns = fakeBoundParameters["NetworkNamespace"] as string;
        var dir = new NatPaths(QemuStateDirectory.Resolve(), string.IsNullOrEmpty(netns) ? null : netns, string.Empty).Directory;
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
