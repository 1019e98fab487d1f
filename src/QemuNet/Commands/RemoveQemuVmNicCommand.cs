using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Unplugs a NIC from a running guest: device_del and the guest's DEVICE_DELETED, then netdev_del, then a TAP the
/// module made for it; the VM's record forgets it.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "QemuVmNic", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuVm))]
public sealed class RemoveQemuVmNicCommand : VmNetCmdlet
{
    /// <summary>The NIC's id (nic0, nic1, … or the -Id it was given).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>How long the guest gets to release the NIC.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 30;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new QemuVmManager(Runner, Core.Engine.StateDirectory.Resolve(), QueueVerbose) { Warn = QueueWarning, UnplugTimeoutSec = TimeoutSec };
        foreach (var id in Id)
        {
            var vm = Change(ct => manager.RemoveNicAsync(VmName, id, ConfirmStep, IsWhatIf, ct));
            if (vm is not null && PassThru)
            {
                WriteObject(vm);
            }
        }
    }
}
