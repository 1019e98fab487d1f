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
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        var netns = fakeBoundParameters["NetworkNamespace"] as string;
        var dir = new NatPaths(QemuStateDirectory.Resolve(), string.IsNullOrEmpty(netns) ? null : netns, string.Empty).Directory;
        if (!Directory.Exists(dir))
        {
            return [];
        }

        return Directory.EnumerateFiles(dir, "*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(pattern.IsMatch)
            .Order(StringComparer.Ordinal)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

/// <summary>Completes host link names (for -Uplink) from /sys/class/net.</summary>
public sealed class LinkNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return Directory.Exists("/sys/class/net")
            ? Directory.EnumerateFileSystemEntries("/sys/class/net").Select(Path.GetFileName).OfType<string>()
                .Where(n => n != "lo" && pattern.IsMatch(n)).Order(StringComparer.Ordinal)
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
            : [];
    }
}
