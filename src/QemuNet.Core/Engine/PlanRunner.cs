using System.Globalization;

namespace QemuNet.Core.Engine;

public enum PlanOutcome
{
    /// <summary>Every step was applied.</summary>
    Applied,

    /// <summary>The host was already as wanted.</summary>
    NothingToDo,

    /// <summary>-WhatIf: every step was shown, none applied.</summary>
    WhatIf,

    /// <summary>A step was declined at -Confirm; nothing was applied.</summary>
    Declined,
}

/// <summary>
/// The one runner of host changes: lock (per kind and namespace) → recover what a killed run left → observe and
/// plan → offer every step to the confirm callback (the cmdlet's ShouldProcess) → apply, journaling each change's
/// undo only after it succeeded, rolling back newest-first on the first failure → after-apply.
/// </summary>
public sealed class PlanRunner
{
    /// <summary>Test hook: "STEP.CHANGE" (1-based) of a plan of KIND ("nat:3.1") fails before it runs.</summary>
    public const string FaultVariable = "QEMUNET_TEST_FAULT";

    /// <summary>
    /// Test hook: "KIND:STEP.CHANGE:before|after|done" (before the change runs, after it ran, after the journal says so)
    /// writes $QEMUNET_TEST_PAUSE_FILE (the pid) and waits there until the
    /// file is removed (or the process is killed): the crash harness kills it, the foreign-object test changes the host meanwhile.
    /// </summary>
    public const string PauseVariable = "QEMUNET_TEST_PAUSE";

    public const string PauseFileVariable = "QEMUNET_TEST_PAUSE_FILE";

    /// <summary>Test hook: a file that gets "KIND NAME STEP.CHANGE description" for every change as it runs.</summary>
    public const string TraceVariable = "QEMUNET_TEST_TRACE";

    private readonly HostContext _host;
    private readonly string _folder;
    private readonly string _lockFile;

    /// <param name="folder">The kind's books for this namespace (<see cref="StateStore.Folder"/>): journals and the lock.</param>
    /// <param name="lockFile">The lock its plans take; by default one for the whole folder.</param>
    public PlanRunner(HostContext host, string folder, string? lockFile = null)
    {
        _host = host;
        _folder = folder;
        _lockFile = lockFile ?? Path.Combine(folder, ".lock");
    }

    public Journal JournalFor(string name) => new(Path.Combine(_folder, name + ".journal"));

    public Task<IDisposable> LockAsync(CancellationToken cancellationToken) => StateStore.LockAsync(_lockFile, cancellationToken);

    /// <summary>
    /// Runs a plan under the lock. <paramref name="observeAndPlan"/> runs after recovery, so it sees the host as the
    /// journal left it; <paramref name="confirm"/> gets every step (all of them under -WhatIf; the first "no" ends it).
    /// </summary>
    public async Task<PlanOutcome> RunAsync(string name, Func<CancellationToken, Task<HostPlan>> observeAndPlan,
        Func<HostStep, bool> confirm, bool whatIf, CancellationToken cancellationToken)
    {
        if (whatIf)
        {
            // -WhatIf changes nothing, takes no lock and recovers nothing; it shows what a real run would do now.
            var shown = await observeAndPlan(cancellationToken).ConfigureAwait(false);
            if (HostPrivilege.NotePlanSeenWithout(_host, shown) is { } note)
            {
                _host.Warn(note);
            }

            foreach (var step in shown.Steps)
            {
                confirm(step);
            }

            return shown.Steps.Count == 0 ? PlanOutcome.NothingToDo : PlanOutcome.WhatIf;
        }

        using var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        if (await RecoverAsync(name).ConfigureAwait(false))
        {
            _host.Log($"Undid what an interrupted QemuNet command left for '{name}'{_host.Where} (its journal {JournalFor(name).Path}).");
        }

        var plan = await observeAndPlan(cancellationToken).ConfigureAwait(false);
        if (plan.Steps.Count == 0)
        {
            _host.Log($"{plan.Kind} '{plan.Name}'{_host.Where}: nothing to change.");
            return PlanOutcome.NothingToDo;
        }

        HostPrivilege.Demand(_host, plan);
        foreach (var step in plan.Steps)
        {
            if (!confirm(step))
            {
                return PlanOutcome.Declined;
            }
        }

        await ApplyAsync(plan, cancellationToken).ConfigureAwait(false);

        return PlanOutcome.Applied;
    }

    /// <summary>Undoes what a killed run left in the journal of <paramref name="name"/>, newest first; true when there was one.</summary>
    public async Task<bool> RecoverAsync(string name)
    {
        var journal = JournalFor(name);
        if (!journal.Exists)
        {
            return false;
        }

        var entries = journal.Read();
        if (!Journal.IsFinished(entries))
        {
            foreach (var (_, undo) in Journal.Pending(entries))
            {
                await UndoAsync(undo).ConfigureAwait(false);
            }
        }

        journal.Delete();
        return true;
    }

    private async Task ApplyAsync(HostPlan plan, CancellationToken cancellationToken)
    {
        var journal = JournalFor(plan.Name);
        var hooks = TestHooks.FromEnvironment(plan.Kind);
        journal.Append(new JournalEntry("begin", Kind: plan.Kind, Name: plan.Name, Subject: plan.Subject));
        var done = new List<IReadOnlyList<HostAction>>();
        HostStep? failedStep = null;
        HostChange? failedChange = null;
        try
        {
            for (var s = 0; s < plan.Steps.Count; s++)
            {
                failedStep = plan.Steps[s];
                for (var c = 0; c < failedStep.Changes.Count; c++)
                {
                    var change = failedChange = failedStep.Changes[c];
                    var at = string.Create(CultureInfo.InvariantCulture, $"{s + 1}.{c + 1}");
                    hooks.Trace(plan.Name, at, change.Do);
                    hooks.FailIfAsked(at, failedStep);
                    journal.Append(new JournalEntry("intent", At: at, Undo: change.Undo, Text: change.Do.Describe()));
                    hooks.PauseIfAsked(at, "before");
                    await _host.ExecuteAsync(change.Do, cancellationToken).ConfigureAwait(false);
                    hooks.PauseIfAsked(at, "after");
                    journal.Append(new JournalEntry("done", At: at));
                    done.Add(change.Undo);
                    hooks.PauseIfAsked(at, "done");
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The failed change's own undo runs only when it may have half-happened: otherwise it did not happen, and
            // what stands there may be someone else's.
            if (failedChange is { UndoIfFailed: true } && !done.Contains(failedChange.Undo))
            {
                done.Add(failedChange.Undo);
            }

            done.Reverse();
            foreach (var undo in done)
            {
                await UndoAsync(undo).ConfigureAwait(false);
            }

            journal.Delete();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            var reason = ex is QemuNetException q ? q.Message : ex.Message;
            throw new QemuNetException("HostStepFailed", QemuNetErrorCategory.InvalidOperation, failedStep?.Target,
                $"Step '{failedStep?.Action}' on {failedStep?.Target}{_host.Where} failed, and the {done.Count} change(s) before it were undone: {reason}",
                "Fix the cause named above and run the command again; the Get- cmdlet shows what is there now.", ex);
        }

        // A process killed between here and the delete must not have the next run undo a finished plan.
        journal.Append(new JournalEntry("end"));
        journal.Delete();
    }

    private async Task UndoAsync(IReadOnlyList<HostAction> undo)
    {
        foreach (var action in undo)
        {
            try
            {
                // Undo must not be stopped half-way by Ctrl+C.
                await _host.ExecuteAsync(action, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is QemuNetException or IOException or UnauthorizedAccessException)
            {
                // Best effort: the rest of the undo still runs.
            }
        }
    }

    /// <summary>The fault, pause and trace hooks of the crash and fault tests, read once per plan.</summary>
    private sealed class TestHooks
    {
        private readonly string _kind;
        private readonly string? _fault;
        private readonly string? _pause;
        private readonly string? _pauseFile;
        private readonly string? _trace;

        private TestHooks(string kind)
        {
            _kind = kind;
            _fault = Environment.GetEnvironmentVariable(FaultVariable);
            _pause = Environment.GetEnvironmentVariable(PauseVariable);
            _pauseFile = Environment.GetEnvironmentVariable(PauseFileVariable);
            _trace = Environment.GetEnvironmentVariable(TraceVariable);
        }

        public static TestHooks FromEnvironment(string kind) => new(kind);

        public void Trace(string name, string at, HostAction action)
        {
            if (!string.IsNullOrEmpty(_trace))
            {
                File.AppendAllText(_trace, $"{_kind} {name} {at} {action.Describe().Split('\n')[0]}\n");
            }
        }

        public void FailIfAsked(string at, HostStep step)
        {
            if (_fault == $"{_kind}:{at}" || (!string.IsNullOrEmpty(_fault) && !_fault.Contains(':', StringComparison.Ordinal)
                && at.EndsWith(".1", StringComparison.Ordinal) && (step.Target.Contains(_fault, StringComparison.Ordinal) || step.Action.Contains(_fault, StringComparison.Ordinal))))
            {
                throw new InvalidOperationException($"injected failure ({FaultVariable}={_fault})");
            }
        }

        public void PauseIfAsked(string at, string when)
        {
            if (_pause != $"{_kind}:{at}:{when}" || string.IsNullOrEmpty(_pauseFile))
            {
                return;
            }

            File.WriteAllText(_pauseFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            while (File.Exists(_pauseFile))
            {
                Thread.Sleep(20);
            }
        }
    }
}
