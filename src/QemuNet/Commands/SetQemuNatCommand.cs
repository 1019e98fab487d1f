using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Changes what can change of an existing network without recreating it: whether it comes back after a reboot.</summary>
[Cmdlet(VerbsCommon.Set, "QemuNat", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias("Set-QemuNetwork")]
[OutputType(typeof(QemuNatNetwork))]
public sealed class SetQemuNatCommand : NatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>$true keeps the network's definition in the configuration directory for Restore-QemuNetwork; $false removes it.</summary>
    [Parameter(Mandatory = true)]
    public bool AutoStart { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var net = Update(Name, n => n with { AutoStart = AutoStart });
        if (net is not null && PassThru)
        {
            WriteObject(net);
        }
    }
}
