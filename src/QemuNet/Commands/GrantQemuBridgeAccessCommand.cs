using System.Management.Automation;
using QemuNet.Core.Bridge;

namespace QemuNet.Commands;

/// <summary>
/// Lets QEMU's bridge helper put TAPs on a bridge (an "allow" line in /etc/qemu/bridge.conf), so guests can
/// join it with New-QemuTap -UseHelper, without root; warns when the helper itself lacks the privilege.
/// </summary>
[Cmdlet(VerbsSecurity.Grant, "QemuBridgeAccess", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuBridgeAccess))]
public sealed class GrantQemuBridgeAccessCommand : BridgeAccessCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        ChangeAcl(current => BridgeAcl.Grant(current, Bridge), $"Allow the bridge helper to use {Bridge}");
        WarnAboutHelper();
        if (IsWhatIf)
        {
            return;
        }

        var access = Evaluate(Bridge);
        if (!access.Allowed)
        {
            // A deny elsewhere (deny all, or in an included file) still wins over the allow just written.
            var denies = access.Rules.Where(r => r.Action == QemuBridgeAclAction.Deny).Select(r => $"'{r}' ({r.File}:{r.Line})");
            WriteWarning($"{Bridge} is still denied by {string.Join(", ", denies)}; a deny wins over any allow. Remove that line to let the helper use {Bridge}.");
        }

        if (PassThru)
        {
            WriteObject(access);
        }
    }
}
