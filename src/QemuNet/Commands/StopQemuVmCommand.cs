using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Stops a guest as a plan: the ACPI power button (QMP system_powerdown) and up to -TimeoutSec for the guest to
/// power off, then QMP quit, SIGTERM, SIGKILL (-TurnOff skips the power button); then the TAPs the module made for
/// it. The record and console log stay (State Off) until Remove-QemuVm.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "QemuVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(QemuVm))]
public sealed class StopQemuVmCommand : VmChangeCmdlet
{
    /// <summary>How long the guest gets to power off after the power button before it is turned off.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Pull the plug at once (QMP quit, then SIGTERM, SIGKILL), as Hyper-V's Stop-VM -TurnOff.</summary>
    [Parameter]
    [Alias("Force")]
    public SwitchParameter TurnOff { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        foreach (var vm in Targets(manager))
        {
            // An object read before the VM was started again under its name must not stop the new run.
            if (vm.Pid > 0 && manager.Find(vm.Name) is { Pid: > 0 } now && now.Pid != vm.Pid)
            {
                WriteWarning($"VM '{vm.Name}' (pid {vm.Pid}) has already stopped; it now runs again as pid {now.Pid} and was left alone.");
                continue;
            }

            Change(ct => manager.StopAsync(vm.Name, TurnOff, TimeoutSec, ConfirmStep, IsWhatIf, ct), "VmNotFound", "VmStopFailed", "HostStepFailed");
        }
    }
}
