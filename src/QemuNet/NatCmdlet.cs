using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Host;
using QemuNet.Core.Model;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Base for the cmdlets that change NAT networks: one ShouldProcess per plan step, then apply all or nothing.</summary>
public abstract class NatCmdlet : HostCmdlet
{
    protected NatManager CreateManager() =>
        Invoke(() => new NatManager(new HostContext(Runner, NetworkNamespace), QemuStateDirectory.Resolve()));

    /// <summary>Confirms every step, then applies them all or nothing.</summary>
    protected bool ConfirmAndApply(NatManager manager, QemuNatNetwork net, IReadOnlyList<HostStep> steps)
    {
        if (!ConfirmSteps($"NAT network '{net.Name}'", steps))
        {
            return false;
        }

        if (steps.Count > 0)
        {
            Run(async ct => { await manager.ApplyAsync(net, steps, ct).ConfigureAwait(false); return 0; });
        }

        return true;
    }

    protected void Locked(NatManager manager, Action work) => Locked(manager.LockAsync, work);

    protected QemuNatNetwork GetNetwork(NatManager manager, string name) => Invoke(() => manager.Get(name));

    /// <summary>The network named <paramref name="name"/>, or every network of the namespace when it is null.</summary>
    protected IReadOnlyList<QemuNatNetwork> NetworksNamed(NatManager manager, string? name) =>
        name is null ? manager.ListRecords() : [GetNetwork(manager, name)];

    /// <summary>Changes reservations or forwards of an existing network: validate, plan, confirm, apply. Null when nothing was applied.</summary>
    protected QemuNatNetwork? Update(string name, Func<QemuNatNetwork, QemuNatNetwork> change)
    {
        var manager = CreateManager();
        QemuNatNetwork? result = null;
        Locked(manager, () =>
        {
            var current = GetNetwork(manager, name);
            var next = Invoke(() => change(current));
            if (ConfirmAndApply(manager, current, manager.PlanUpdate(current, next)) && !IsWhatIf)
            {
                result = next;
            }
        });
        return result;
    }

    protected static QemuNetException Fail(string id, QemuNetErrorCategory category, object? target, string message, string action) =>
        new(id, category, target, message, action);
}
