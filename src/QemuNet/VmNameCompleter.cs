using QemuNet.Core.Engine;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Completes -Name from the VMs in the state directory.</summary>
public sealed class VmNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        return Completion.Matching(new QemuVmManager(new CliProcessRunner(), StateDirectory.Resolve()).List(), vm => vm.Name, wordToComplete,
            vm => $"{vm.Name} ({vm.State}, pid {vm.Pid})");
    }
}
