using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Removes a stopped VM: its record, console log and runtime files, and any TAP the module made for it that is
/// still there. A running VM is refused (VmRunning) unless -Force, which turns it off first.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "QemuVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(QemuVm))]
public sealed class RemoveQemuVmCommand : QemuCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public QemuVm[] InputObject { get; set; } = [];

    /// <summary>Turn a running VM off and remove it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve(), QueueVerbose);
        var targets = ParameterSetName == "InputObject"
            ? InputObject
            : SelectByName(Invoke(manager.List), Name, vm => vm.Name, "VmNotFound", name => $"No VM named '{name}' was started by QemuNet.");
        foreach (var vm in targets)
        {
            var removed = RunOrWriteError(ct => manager.RemoveAsync(vm.Name, Force, ConfirmStep, IsWhatIf, ct), "VmNotFound", "VmRunning", "VmStopFailed", "HostStepFailed");
            FlushVerbose();
            if (removed is not null && PassThru)
            {
                WriteObject(removed);
            }
        }
    }
}
