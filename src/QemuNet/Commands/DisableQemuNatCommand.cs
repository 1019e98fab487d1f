using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Removes exactly what Enable-QemuNat created, and nothing of anyone else's.</summary>
[Cmdlet(VerbsLifecycle.Disable, "QemuNat", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[Alias("Disable-QemuNetwork")]
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
        foreach (var name in Name)
        {
            if (RunOrWriteError(ct => manager.DisableAsync(name, Force, ConfirmStep, IsWhatIf, ct), "NatNotFound", "NatInUse") is { } removed && PassThru)
            {
                WriteObject(removed);
            }
        }
    }
}
