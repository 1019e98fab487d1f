using System.Management.Automation;
using QemuNet.Core.Engine;

namespace QemuNet.Commands;

/// <summary>Base for cmdlets that work in a network namespace: -NetworkNamespace and the host context it gives.</summary>
public abstract class HostCmdlet : QemuCmdlet
{
    private string? _networkNamespace;

    /// <summary>Work inside this network namespace (ip netns exec) instead of the current one.</summary>
    /// <remarks>Null or empty (as piped from an object in the current namespace) means the current namespace.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
    [AllowNull]
    [AllowEmptyString]
    public string? NetworkNamespace { get => _networkNamespace; set => _networkNamespace = NotGiven(value); }

    protected HostContext CreateHost() => Invoke(() => new HostContext(Runner, NetworkNamespace) { Log = QueueVerbose, Warn = QueueWarning });
}
