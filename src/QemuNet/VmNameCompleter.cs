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
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return new QemuVmManager(new CliProcessRunner(), QemuStateDirectory.Resolve()).List()
            .Where(vm => pattern.IsMatch(vm.Name))
            .Select(vm => new CompletionResult(vm.Name, vm.Name, CompletionResultType.ParameterValue, $"{vm.Name} ({vm.State}, pid {vm.Pid})"));
    }
}
