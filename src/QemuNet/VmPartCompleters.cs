using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using QemuNet.Core.Engine;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Completes a NIC id (-Id) from the record of the VM named by -VmName.</summary>
public sealed class VmNicIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        VmOf(fakeBoundParameters) is { } vm
            ? Completion.Matching(vm.Nics.Select((n, i) => (Id: n.Id ?? $"nic{i}", Nic: n)), n => n.Id, wordToComplete, n => $"{n.Id}: {n.Nic}")
            : [];

    /// <summary>The VM that -VmName (or -Name) already names on the command line, from the state directory.</summary>
    internal static QemuVm? VmOf(IDictionary fakeBoundParameters) =>
        (fakeBoundParameters["VmName"] ?? fakeBoundParameters["Name"]) is string { Length: > 0 } name
            ? new QemuVmManager(new CliProcessRunner(), StateDirectory.Resolve()).Find(name)
            : null;
}

/// <summary>Completes a capture id (-Id of Stop-QemuNetCapture) from the record of the VM named by -VmName.</summary>
public sealed class CaptureIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        VmNicIdCompleter.VmOf(fakeBoundParameters) is { } vm
            ? Completion.Matching(vm.Captures, c => c.Id, wordToComplete, c => c.ToString())
            : [];
}
