using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Host;

namespace QemuNet.Commands;

/// <summary>
/// Creates a bridge (seed 4.1: brctl addbr, stp), optionally with an uplink whose addresses and routes move to
/// the bridge in the same plan, so the host keeps its connectivity (what `ifconfig eth0 0.0.0.0; dhclient br0` did).
/// </summary>
[Cmdlet(VerbsCommon.New, "QemuBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(QemuBridge))]
public sealed class NewQemuBridgeCommand : HostCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The host link to enslave (eth0 in the seed); its addresses and routes move to the bridge.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(BridgeUplinkCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Uplink { get; set; }

    /// <summary>Spanning tree (brctl stp br0 on); worth it when the bridge could close a loop.</summary>
    [Parameter]
    public SwitchParameter Stp { get; set; }

    /// <summary>Seconds a new port listens and learns before forwarding (brctl setfd).</summary>
    [Parameter]
    public int ForwardDelay { get; set; }

    /// <summary>Keeps the bridge's definition so Restore-QemuNetwork brings it back after a reboot (one with -Uplink is left to the host's own network configuration: Export-QemuBridgeConfig).</summary>
    [Parameter]
    public SwitchParameter AutoStart { get; set; }

    protected override void EndProcessing()
    {
        var store = OpenStore();
        var manager = new BridgeManager(CreateHost(), store);
        var wanted = new QemuBridge
        {
            Name = Name,
            NetworkNamespace = manager.Host.NetworkNamespace,
            Uplink = Uplink,
            Stp = Stp,
            ForwardDelay = MyInvocation.BoundParameters.ContainsKey(nameof(ForwardDelay)) ? ForwardDelay : null,
            AutoStart = AutoStart,
        };

        var (outcome, observed) = Run(ct => manager.CreateAsync(wanted, ConfirmStep, IsWhatIf, ct));
        if (outcome is PlanOutcome.WhatIf or PlanOutcome.Declined)
        {
            return;
        }

        if (outcome == PlanOutcome.NothingToDo)
        {
            WriteVerbose($"Bridge {Name} already exists as asked.");
        }
        else if (observed is not null)
        {
            if (observed.UplinkCarry.MovedAddresses.Where(a => a.ValidLifetime is not null).Select(a => a.Cidr).ToArray() is { Length: > 0 } leased)
            {
                // Nothing renews a lease on the bridge unless the DHCP client moves there too (the seed's 'dhclient br0').
                WriteWarning($"{string.Join(", ", leased)} moved to {Name} with the lifetime left of {Uplink}'s lease, and nothing renews it there: "
                    + $"{DhcpClients.Describe(Uplink!, Name)}");
            }

            if (observed.UplinkCarry.LeftToKernel.Count > 0)
            {
                WriteWarning($"Left on {Uplink}, which the kernel made from router advertisements: {string.Join(", ", observed.UplinkCarry.LeftToKernel)}. "
                    + $"They stop working now that {Uplink} is a bridge port; {Name} gets its own when net.ipv6.conf.{Name}.accept_ra allows.");
            }
        }

        if (outcome == PlanOutcome.Applied && Uplink is not null)
        {
            // A NAT network that masquerades on this uplink must follow it onto the bridge.
            foreach (var net in Invoke(() => new NatManager(manager.Host, store).ListRecords().Networks).Where(n => n.Uplink == Uplink && n.UplinkBridge != Name))
            {
                WriteWarning($"The NAT network '{net.Name}' masquerades on {Uplink}, which is now a port of {Name}: its guests cannot get out until "
                    + $"'Enable-QemuNat -Name {net.Name} -Subnet {net.Subnet} -Uplink {Uplink}{(manager.Host.NetworkNamespace is null ? string.Empty : " -NetworkNamespace " + manager.Host.NetworkNamespace)}' "
                    + "runs again (Get-QemuNat shows the drift until then).");
            }
        }

        if (outcome == PlanOutcome.Applied && Stp && Uplink is not null)
        {
            WriteWarning($"With STP on, {Uplink} forwards only after listening and learning (2 x forward delay); until then {Name} passes no traffic.");
        }

        WriteObject(Run(ct => BridgeInventory.ListAsync(Runner, manager, store, [], ct)).First(b => b.Name == Name));
    }
}
