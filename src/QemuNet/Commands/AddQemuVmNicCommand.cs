using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// Hot-plugs a NIC into a running guest: its backend (user-mode, or a TAP the module makes on a bridge or NAT
/// network) with QMP netdev_add, then the device with device_add; records it in the VM and returns the NIC as plugged.
/// </summary>
[Cmdlet(VerbsCommon.Add, "QemuVmNic", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuNic))]
public sealed class AddQemuVmNicCommand : VmNetCmdlet
{
    /// <summary>The NIC to plug in (New-QemuNic); its id, MAC and backend id are chosen when left out.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public QemuNic InputObject { get; set; } = null!;

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        var (_, nic) = Change(ct => manager.AddNicAsync(VmName, InputObject, ConfirmStep, IsWhatIf, ct));
        if (nic is not null && !IsWhatIf)
        {
            WriteObject(nic);
        }
    }
}
