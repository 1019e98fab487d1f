using System.Management.Automation;
using QemuNet.Core.Host;

namespace QemuNet.Commands;

/// <summary>Base for cmdlets that change the host: a namespace to work in, one ShouldProcess per plan step, the host lock.</summary>
public abstract class HostCmdlet : QemuCmdlet
{
    private string? _networkNamespace;

    /// <summary>Work inside this network namespace (ip netns exec) instead of the current one.</summary>
    /// <remarks>Null or empty (as piped from an object in the current namespace) means the current namespace.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? NetworkNamespace { get => _networkNamespace; set => _networkNamespace = string.IsNullOrEmpty(value) ? null : value; }

    protected HostContext CreateHost() => Invoke(() => new HostContext(Runner, NetworkNamespace));

    /// <summary>
    /// Asks ShouldProcess for every step (so -WhatIf prints the whole plan); true only when every step was
    /// confirmed, so a declined step never leaves a half-made change (ShouldProcess also shows each step under -Verbose).
    /// </summary>
    protected bool ConfirmSteps(string subject, IReadOnlyList<HostStep> steps)
    {
        if (steps.Count == 0)
        {
            WriteVerbose($"{subject}: nothing to change.");
            return true;
        }

        var confirmed = true;
        foreach (var step in steps)
        {
            var text = step.Describe().TrimEnd();
            confirmed &= ShouldProcess(text, $"{step.Action} on {step.Target}?\n{text}", step.Action);
        }

        if (!confirmed)
        {
            if (!IsWhatIf)
            {
                WriteWarning($"Nothing was changed for {subject}: not every step was confirmed.");
            }

            return false;
        }

        return true;
    }

    /// <summary>Runs <paramref name="work"/> under a host lock (not needed, and not taken, for -WhatIf).</summary>
    protected void Locked(Func<CancellationToken, Task<IDisposable>> takeLock, Action work)
    {
        if (IsWhatIf)
        {
            work();
            return;
        }

        using var held = Run(takeLock);
        work();
    }
}
