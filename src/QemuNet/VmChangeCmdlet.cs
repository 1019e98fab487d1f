using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Base for the cmdlets that change guests they are given by name or as objects (Stop-, Remove-QemuVm).</summary>
public abstract class VmChangeCmdlet : QemuCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public QemuVm[] InputObject { get; set; } = [];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected QemuVmManager CreateManager() => new(Runner, StateDirectory.Resolve(), QueueVerbose) { Warn = QueueWarning };

    /// <summary>The guests given: the objects, or those the names (wildcards allowed) match; VmNotFound for a plain name that matches none.</summary>
    protected IReadOnlyList<QemuVm> Targets(QemuVmManager manager) => ParameterSetName == "InputObject"
        ? InputObject
        : SelectByName(Invoke(manager.List), Name, vm => vm.Name, "VmNotFound", name => $"No VM named '{name}' was started by QemuNet.");

    /// <summary>Runs a change of one guest; its errors are written per guest, and -PassThru writes what it returns.</summary>
    protected void Change(Func<CancellationToken, Task<QemuVm?>> change, params string[] nonTerminating)
    {
        var changed = RunOrWriteError(change, nonTerminating);
        FlushMessages();
        if (changed is not null && PassThru)
        {
            WriteObject(changed);
        }
    }
}
