using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Removes a stopped VM: its record, console log and runtime files, and any TAP the module made for it that is
/// still there. A running VM is refused (VmRunning) unless -Force, which turns it off first.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "QemuVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(QemuVm))]
public sealed class RemoveQemuVmCommand : VmChangeCmdlet
{
    /// <summary>Turn a running VM off and remove it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        foreach (var vm in Targets(manager))
        {
            Change(ct => manager.RemoveAsync(vm.Name, Force, ConfirmStep, IsWhatIf, ct), "VmNotFound", "VmRunning", "VmStopFailed", "HostStepFailed");
        }
    }
}
