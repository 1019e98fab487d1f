using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Lists the packet captures running on guests, with the packets and bytes their files hold so far.</summary>
[Cmdlet(VerbsCommon.Get, "QemuNetCapture")]
[OutputType(typeof(QemuNetCapture))]
public sealed class GetQemuNetCaptureCommand : QemuCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? VmName { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve());
        var vms = SelectByName(Invoke(manager.List), VmName ?? ["*"], vm => vm.Name, "VmNotFound", name => $"No VM named '{name}' was started by QemuNet.");
        WriteObject(vms.SelectMany(vm => vm.Captures).Select(c => c.Count()), enumerateCollection: true);
    }
}
