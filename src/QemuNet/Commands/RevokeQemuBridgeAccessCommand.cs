using System.Management.Automation;
using QemuNet.Core.Bridge;

namespace QemuNet.Commands;

/// <summary>Takes a bridge out of the bridge helper's ACL (adding a deny line when "allow all" or an include would still allow it).</summary>
[Cmdlet(VerbsSecurity.Revoke, "QemuBridgeAccess", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuBridgeAccess))]
public sealed class RevokeQemuBridgeAccessCommand : BridgeAccessCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        ChangeAcl(current => BridgeAcl.Revoke(current, Bridge, BridgeAcl.Read), $"Stop the bridge helper from using {Bridge}");
        if (PassThru && !IsWhatIf)
        {
            WriteObject(Evaluate(Bridge));
        }
    }
}
