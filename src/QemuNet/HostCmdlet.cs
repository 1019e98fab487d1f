using System.Management.Automation;
using QemuNet.Core.Engine;

namespace QemuNet.Commands;

/// <summary>Base for cmdlets that change the host: a namespace to work in, and the engine's confirm callback answered with ShouldProcess.</summary>
public abstract class HostCmdlet : QemuCmdlet
{
    private string? _networkNamespace;
    private bool _declined;

    /// <summary>Work inside this network namespace (ip netns exec) instead of the current one.</summary>
    /// <remarks>Null or empty (as piped from an object in the current namespace) means the current namespace.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? NetworkNamespace { get => _networkNamespace; set => _networkNamespace = NotGiven(value); }

    protected HostContext CreateHost() => Invoke(() => new HostContext(Runner, NetworkNamespace) { Log = QueueVerbose });

    protected StateStore OpenStore() => Invoke(StateDirectory.Open);

    /// <summary>
    /// The engine's confirm callback: one ShouldProcess per step (so -WhatIf prints the whole plan and -Verbose shows
    /// each step). The first "No" cancels the whole plan, and the engine asks nothing more.
    /// </summary>
    protected bool ConfirmStep(HostStep step) => OnPipelineThread(() => ConfirmOnPipeline(step));

    private bool ConfirmOnPipeline(HostStep step)
    {
        var text = step.Describe().TrimEnd();
        if (ShouldProcess(text, $"{step.Action} on {step.Target}?\n{text}", step.Action))
        {
            return true;
        }

        if (!IsWhatIf && !_declined)
        {
            _declined = true;
            WriteWarning($"Nothing was changed: '{step.Action}' on {step.Target} was declined, so the whole plan was cancelled.");
        }

        return false;
    }
}
