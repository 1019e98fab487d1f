using QemuNet.Core.Engine;
using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Lists the guests the module started: running, off (until Remove-QemuVm), exited on their own, or left half-done by a killed command.</summary>
[Cmdlet(VerbsCommon.Get, "QemuVm")]
[OutputType(typeof(QemuVm))]
public sealed class GetQemuVmCommand : QemuCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        // Only reads: a VM a killed command left is reported (Incomplete, with its Problem), not repaired.
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve());
        var vms = Invoke(manager.List);
        foreach (var vm in vms)
        {
            Invoke(() => { manager.FillLeasedAddresses(vm); return 0; });
        }

        WriteObject(SelectByName(vms, Name ?? ["*"], vm => vm.Name, "VmNotFound", name => $"No VM named '{name}' was started by QemuNet."),
            enumerateCollection: true);
    }
}
