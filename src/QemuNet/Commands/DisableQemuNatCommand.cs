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

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
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

                var observed = Run(ct => manager.ObserveAsync(net, ct));
                if (ConfirmAndApply(manager, net, Invoke(() => manager.PlanDisable(net, observed))) && PassThru)
                {
                    WriteObject(net);
                }
            });
        }
    }
}
