using QemuNet.Core.Engine;
using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Lists the guests the module started (running, or exited but not yet removed with Stop-QemuVm).</summary>
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
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve());
        Run(async _ => { await manager.ReapExitedAsync().ConfigureAwait(false); return 0; });
        var vms = manager.List();
        WriteObject(SelectByName(vms, Name ?? ["*"], vm => vm.Name, "VmNotFound", name => $"No VM named '{name}' was started by QemuNet."),
            enumerateCollection: true);
    }
}
