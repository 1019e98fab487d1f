using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Host;
using QemuNet.Core.Model;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Base for the cmdlets that change NAT networks: one ShouldProcess per plan step, then apply all or nothing.</summary>
public abstract class NatCmdlet : QemuCmdlet
{
    /// <summary>Work inside this network namespace (ip netns exec) instead of the current one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? NetworkNamespace { get; set; }

    protected NatManager CreateManager() =>
        Invoke(() => new NatManager(new HostContext(Runner, NetworkNamespace), QemuStateDirectory.Resolve()));

    /// <summary>
    /// Asks ShouldProcess for every step (so -WhatIf prints the whole plan, rules and config included);
    /// applies only when every step was confirmed, so a declined step never leaves a half-made network.
    /// </summary>
    protected bool ConfirmAndApply(NatManager manager, QemuNatNetwork net, IReadOnlyList<HostStep> steps)
    {
        if (steps.Count == 0)
        {
            WriteVerbose($"NAT network '{net.Name}': nothing to change.");
            return true;
        }

        var confirmed = true;
        foreach (var step in steps)
        {
            var text = step.Describe().TrimEnd();
            confirmed &= ShouldProcess(text, $"{step.Action} on {step.Target}?\n{text}", step.Action);
        }

        if (!confirmed)
        {
            if (!MyInvocation.BoundParameters.ContainsKey("WhatIf"))
            {
                WriteWarning($"Nothing was changed for NAT network '{net.Name}': not every step was confirmed.");
            }

            return false;
        }

        foreach (var step in steps)
        {
            WriteVerbose(step.Describe().TrimEnd());
        }

        Run(async ct => { await manager.ApplyAsync(net, steps, ct).ConfigureAwait(false); return 0; });
        return true;
    }

    protected bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter { IsPresent: true };

    /// <summary>Runs <paramref name="work"/> under the module's host lock (not needed, and not taken, for -WhatIf).</summary>
    protected void Locked(NatManager manager, Action work)
    {
        if (IsWhatIf)
        {
            work();
            return;
        }

        using var held = Run(ct => manager.LockAsync(ct));
        work();
    }

    protected QemuNatNetwork GetNetwork(NatManager manager, string name) => Invoke(() => manager.Get(name));

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

    protected static QemuNetException Fail(string id, QemuNetErrorCategory category, object? target, string message, string? action = null) =>
        new(id, category, target, message, action);
}
