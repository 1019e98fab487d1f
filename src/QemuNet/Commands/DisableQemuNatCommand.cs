using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Removes exactly what Enable-QemuNat created, and nothing of anyone else's.</summary>
[Cmdlet(VerbsLifecycle.Disable, "QemuNat", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(QemuNatNetwork))]
public sealed class DisableQemuNatCommand : NatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Disable it even though guests' TAPs are still on its bridge; they lose their network.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        IReadOnlyList<string> observedPorts(string bridge) => Run(ct => Core.Host.HostLinks.GetPortsAsync(manager.Host, bridge, ct));
        foreach (var name in Name)
        {
            Locked(manager, () =>
            {
                if (!IsWhatIf)
                {
                    Run(async ct => { await manager.RecoverAsync(name).ConfigureAwait(false); return 0; });
                }

                var net = manager.Find(name);
                if (net is null)
                {
                    WriteError(QemuCmdlet.ToErrorRecord(Fail("NatNotFound", Core.QemuNetErrorCategory.ObjectNotFound, name,
                        $"There is no NAT network named '{name}'.", "Run Get-QemuNat to list the networks (add -NetworkNamespace for one in a namespace).")));
                    return;
                }

                var ports = observedPorts(net.BridgeName);
                if (ports.Count > 0 && !Force)
                {
                    WriteError(QemuCmdlet.ToErrorRecord(Fail("NatInUse", Core.QemuNetErrorCategory.ResourceExists, name,
                        $"Guests are still on the NAT network '{name}' (ports of {net.BridgeName}: {string.Join(", ", ports)}).",
                        "Stop those guests first (Get-QemuVm | Stop-QemuVm), or use -Force.")));
                    return;
                }

                var observed = Run(ct => manager.ObserveAsync(net, ct));
                if (ConfirmAndApply(manager, net, Invoke(() => manager.PlanDisable(net, observed))) && PassThru)
                {
                    WriteObject(net);
                }
            });
        }
    }
}
