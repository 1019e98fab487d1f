using QemuNet.Core.Engine;
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
        return Completion.Matching(Completion.HostLinks(dir => Directory.Exists(Path.Combine(dir, "bridge"))), wordToComplete);
    }
}
