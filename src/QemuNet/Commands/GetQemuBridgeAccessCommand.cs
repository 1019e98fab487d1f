using System.Management.Automation;
using QemuNet.Core.Bridge;

namespace QemuNet.Commands;

/// <summary>
/// Shows which bridges QEMU's bridge helper may use (following includes; a deny wins), with the rules that
/// decide it and whether the helper is installed and privileged enough to serve non-root users.
/// </summary>
[Cmdlet(VerbsCommon.Get, "QemuBridgeAccess")]
[OutputType(typeof(QemuBridgeAccess))]
public sealed class GetQemuBridgeAccessCommand : QemuCmdlet
{
    /// <summary>The bridges to report on; every bridge named in the ACL when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BridgeName", "Name")]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Bridge { get; set; }

    protected override void ProcessRecord()
    {
        var helper = BridgeHelper.Find();
        var names = Bridge ?? BridgeAcl.Read(BridgeAcl.DefaultPath)
            .Where(r => r.Action != QemuBridgeAclAction.Include)
            .Select(r => r.Value).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var name in names)
        {
            WriteObject(BridgeAcl.Evaluate(BridgeAcl.DefaultPath, name, helper));
        }
    }
}
