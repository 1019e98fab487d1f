using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;

namespace QemuNet.Commands;

/// <summary>Base for the NAT cmdlets: the namespace's NAT driver, and changes handed to it with this cmdlet's confirmation.</summary>
public abstract class NatCmdlet : HostCmdlet
{
    protected NatManager CreateManager()
    {
        var host = CreateHost();
        var store = OpenStore();
        return Invoke(() => new NatManager(host, store));
    }

    protected QemuNatNetwork GetNetwork(NatManager manager, string name) => Invoke(() => manager.Get(name));

    /// <summary>The network named <paramref name="name"/>, or every network of the namespace when it is null.</summary>
    protected IReadOnlyList<QemuNatNetwork> NetworksNamed(NatManager manager, string? name)
    {
        if (name is not null)
        {
            return [GetNetwork(manager, name)];
        }

        var (networks, problems) = Invoke(manager.ListRecords);
        foreach (var problem in problems)
        {
            WriteError(ToErrorRecord(problem));
        }

        return networks;
    }

    /// <summary>Changes reservations or forwards of an existing network. Null when nothing was applied.</summary>
    protected QemuNatNetwork? Update(string name, Func<QemuNatNetwork, QemuNatNetwork> change)
    {
        var manager = CreateManager();
        return Run(ct => manager.UpdateAsync(name, change, ConfirmStep, IsWhatIf, ct));
    }
}
