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
        var vms = new QemuVmManager(Runner, QemuStateDirectory.Resolve()).List();
        foreach (var name in Name ?? ["*"])
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = vms.Where(vm => pattern.IsMatch(vm.Name)).ToArray();
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No VM named '{name}' was started by QemuNet."),
                    "VmNotFound", ErrorCategory.ObjectNotFound, name));
            }

            WriteObject(matches, enumerateCollection: true);
        }
    }
}
