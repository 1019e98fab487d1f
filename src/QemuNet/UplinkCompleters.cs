using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QemuNet.Commands;

/// <summary>
/// Completes New-QemuBridge -Uplink with the links of the -NetworkNamespace already typed (else of this namespace)
/// that New-QemuBridge accepts: not the loopback, a bridge or a TUN/TAP device, and not already a bridge's port.
/// </summary>
public sealed class BridgeUplinkCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        return Completion.Matching(Completion.Links(Completion.NamespaceOf(fakeBoundParameters), link => Completion.IsUplinkLike(link) && link.Master is null)
            .Select(link => link.Name), wordToComplete);
    }
}

/// <summary>
/// Completes Enable-QemuNat -Uplink like <see cref="BridgeUplinkCompleter"/>, but with bridge ports too: a NAT network
/// masquerades out of an uplink that is a bridge's port (eth0 after New-QemuBridge -Uplink eth0) through that bridge.
/// </summary>
public sealed class NatUplinkCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        return Completion.Matching(Completion.Links(Completion.NamespaceOf(fakeBoundParameters), Completion.IsUplinkLike).Select(link => link.Name), wordToComplete);
    }
}
