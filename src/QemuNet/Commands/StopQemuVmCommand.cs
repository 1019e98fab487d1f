using QemuNet.Core.Engine;
using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Stops a guest: QMP quit, then SIGTERM, then SIGKILL; then removes its state files.</summary>
[Cmdlet(VerbsLifecycle.Stop, "QemuVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(QemuVm))]
public sealed class StopQemuVmCommand : QemuCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public QemuVm[] InputObject { get; set; } = [];

    /// <summary>How long each step (QMP quit, SIGTERM, SIGKILL) may take before the next.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 10;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve());
        var targets = ParameterSetName == "InputObject"
            ? InputObject
            : SelectByName(manager.List(), Name, vm => vm.Name, "VmNotFound", name => $"No VM named '{name}' was started by QemuNet.");
        foreach (var vm in targets)
        {
            if (!ShouldProcess($"VM '{vm.Name}' (pid {vm.Pid})", "Stop"))
            {
                continue;
            }

            try
            {
                var how = manager.StopAsync(vm, TimeSpan.FromSeconds(TimeoutSec), CancelToken).GetAwaiter().GetResult();
                FlushVerbose();
                WriteVerbose($"VM '{vm.Name}' stopped ({how}).");
                if (PassThru)
                {
                    WriteObject(vm);
                }
            }
            catch (QemuNetException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }
    }
}
