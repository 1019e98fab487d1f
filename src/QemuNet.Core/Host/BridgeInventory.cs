using QemuNet.Core.Bridge;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Core.Host;

/// <summary>
/// Get-QemuBridge's view: the namespace's bridges, each port named after the guest whose TAP it is, and the
/// bridges of NAT networks marked as theirs. Reads only.
/// </summary>
public static class BridgeInventory
{
    public static async Task<IReadOnlyList<QemuBridge>> ListAsync(IProcessRunner runner, BridgeManager manager, StateStore store,
        List<QemuNetException> problems, CancellationToken ct)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var vm in new QemuVmManager(runner, store.Root).List().Where(v => v.State == QemuVmState.Running && v.NetworkNamespace == manager.Host.NetworkNamespace))
        {
            foreach (var tap in vm.Backends().OfType<QemuTapNet>().Where(t => t.IfName is not null))
            {
                owners[tap.IfName!] = vm.Name;
            }
        }

        var bridges = await manager.ListAsync(owners, problems, ct).ConfigureAwait(false);
        var (natNetworks, natProblems) = new NatManager(manager.Host, store).ListRecords();
        problems.AddRange(natProblems);
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
