using System.Management.Automation;
using QemuNet.Core.Bridge;

namespace QemuNet.Commands;

/// <summary>Removes a bridge New-QemuBridge made, putting its uplink back with the bridge's addresses and routes.</summary>
[Cmdlet(VerbsCommon.Remove, "QemuBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveQemuBridgeCommand : HostCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>Remove it even though guests' TAPs (or other links) are still ports; they lose their network.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new BridgeManager(CreateHost(), OpenStore());
        RunOrWriteError(ct => manager.RemoveAsync(Name, Force, ConfirmStep, IsWhatIf, ct), "BridgeNotManaged", "BridgeInUse", "BridgeOfNatNetwork");
    }
}
