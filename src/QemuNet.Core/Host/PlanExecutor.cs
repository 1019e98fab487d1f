using System.Text.Json;

namespace QemuNet.Core.Host;

/// <summary>
/// Applies a plan step by step under an exclusive lock, journaling each step's undo before applying it;
/// on the first failure it undoes what was applied, newest first, and reports the step that failed.
/// </summary>
public sealed class PlanExecutor
{
    /// <summary>Test hook: a step whose target or action contains this text fails before it is applied.</summary>
    public const string FailStepVariable = "QEMUNET_TEST_FAIL_STEP";

    private static readonly JsonSerializerOptions Json = new();
    private readonly HostContext _host;

    public PlanExecutor(HostContext host) => _host = host;

    public static async Task<IDisposable> LockAsync(string lockFile, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                // FileShare.None takes an flock(LOCK_EX) on Unix: other processes wait here.
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new QemuNetException("HostLockTimeout", QemuNetErrorCategory.ResourceUnavailable, lockFile,
                    $"Another QemuNet process has held {lockFile} for a minute; try again when it is done.",
                    "Wait for the other QemuNet command to finish, then run this one again.", inner: ex);
            }
        }
    }

    public async Task ApplyAsync(IReadOnlyList<HostStep> steps, string journal, CancellationToken cancellationToken)
    {
        var failAt = Environment.GetEnvironmentVariable(FailStepVariable);
        var applied = new List<HostStep>();
        try
        {
            foreach (var step in steps)
            {
                await File.AppendAllTextAsync(journal, JsonSerializer.Serialize(step.Undo, Json) + "\n", CancellationToken.None).ConfigureAwait(false);
                applied.Add(step);
                if (!string.IsNullOrEmpty(failAt) && (step.Target.Contains(failAt, StringComparison.Ordinal) || step.Action.Contains(failAt, StringComparison.Ordinal)))
                {
                    throw new InvalidOperationException($"injected failure ({FailStepVariable}={failAt})");
                }

                foreach (var action in step.Apply)
                {
                    await _host.ExecuteAsync(action, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || applied.Count > 0)
        {
            var failed = applied.Count > 0 ? applied[^1] : null;
            applied.Reverse();
            await UndoAsync(applied.Select(s => s.Undo)).ConfigureAwait(false);
            File.Delete(journal);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            var reason = ex is QemuNetException q ? q.Message : ex.Message;
            throw new QemuNetException("HostStepFailed", QemuNetErrorCategory.InvalidOperation, failed?.Target,
                $"Step '{failed?.Action}' on {failed?.Target} failed, and the steps before it were undone: {reason}",
                "Nothing was left changed. Fix the cause named above and run the command again.", ex);
        }

        File.Delete(journal);
    }

    /// <summary>Undoes the steps a killed process left in its journal, newest first.</summary>
    public async Task RollBackJournalAsync(string journal)
    {
        if (!File.Exists(journal))
        {
            return;
        }

        var undo = (await File.ReadAllLinesAsync(journal).ConfigureAwait(false))
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<List<HostAction>>(line, Json) ?? [])
            .Reverse()
            .ToList();
        await UndoAsync(undo).ConfigureAwait(false);
        File.Delete(journal);
    }

    private async Task UndoAsync(IEnumerable<IReadOnlyList<HostAction>> undoLists)
    {
        foreach (var undo in undoLists)
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
    }
}
