using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Lists the bridges of the host (or a namespace) with their ports, naming the guests whose TAPs are on them.</summary>
[Cmdlet(VerbsCommon.Get, "QemuBridge")]
[OutputType(typeof(QemuBridge))]
public sealed class GetQemuBridgeCommand : HostCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new BridgeManager(CreateHost(), OpenStore());
        var bridges = Run(ct => ListAsync(Runner, manager, ct));
        WriteObject(SelectByName(bridges, Name ?? ["*"], b => b.Name, "BridgeNotFound", name => $"There is no bridge named '{name}'."),
            enumerateCollection: true);
    }

    /// <summary>The namespace's bridges; TAPs of running guests in the same namespace are named after their VM.</summary>
    internal static async Task<IReadOnlyList<QemuBridge>> ListAsync(IProcessRunner runner, BridgeManager manager, CancellationToken ct)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var vm in new QemuVmManager(runner, StateDirectory.Resolve()).List().Where(v => v.State == QemuVmState.Running))
        {
            foreach (var tap in vm.Nics.Select(n => n.Backend).OfType<QemuTapNet>().Where(t => t.IfName is not null))
            {
                if (vm.NetworkNamespace == manager.Host.NetworkNamespace)
                {
                    owners[tap.IfName!] = vm.Name;
                }
            }
        }

        var bridges = await manager.ListAsync(owners, ct).ConfigureAwait(false);
        var natNetworks = new NatManager(manager.Host, StateDirectory.Open()).ListRecords().Networks;
        foreach (var bridge in bridges)
        {
            if (natNetworks.FirstOrDefault(n => n.BridgeName == bridge.Name) is { } net)
            {
                bridge.Managed = true;
                bridge.NatNetwork = net.Name;
            }
        }

        return bridges;
    }
}
