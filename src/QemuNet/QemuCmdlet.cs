using System.Collections.Concurrent;
using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;
using QemuNet.Core.Processes;

namespace QemuNet.Commands;

/// <summary>
/// Base for the module's cmdlets: cancellation on Ctrl+C (StopProcessing), a process runner whose
/// command lines go to -Verbose, and the mapping of Core failures to ErrorRecords.
/// </summary>
public abstract class QemuCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<(bool Warning, string Text)> _messages = new();
    private BlockingCollection<PipelineCall>? _pump;
    private int _pipelineThread;
    private bool _declined;
    private bool _disposed;

    protected QemuCmdlet() => Runner = new CliProcessRunner(QueueVerbose);

    protected CancellationToken CancelToken => _stopping.Token;

    protected IProcessRunner Runner { get; }

    /// <summary>-WhatIf was given (and not as -WhatIf:$false).</summary>
    protected bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter { IsPresent: true };

    /// <summary>
    /// Runs Core work to completion; Core failures become terminating errors. The work runs on the thread pool while
    /// this (the pipeline) thread serves its callbacks (<see cref="OnPipelineThread{T}"/>): ShouldProcess and the
    /// Write methods may only be called here.
    /// </summary>
    protected T Run<T>(Func<CancellationToken, Task<T>> work) => RunCore(work, [])!;

    /// <summary>Calls <paramref name="call"/> on the pipeline thread (from Core work started by Run), and waits for its answer.</summary>
    protected T OnPipelineThread<T>(Func<T> call)
    {
        var pump = _pump;
        if (pump is null || Environment.CurrentManagedThreadId == _pipelineThread)
        {
            return call();
        }

        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            pump.Add(new PipelineCall(
                () =>
                {
                    try
                    {
                        answer.SetResult(call());
                    }
                    catch (Exception ex)
                    {
                        // The work gets the failure too (a stopped pipeline, say), then the pipeline thread goes on with it.
                        answer.TrySetException(ex);
                        throw;
                    }
                },
                ex => answer.TrySetException(ex)));
        }
        catch (InvalidOperationException)
        {
            // The pipeline thread has stopped serving calls (the pipeline is being stopped).
            throw new OperationCanceledException(CancelToken);
        }

        return answer.Task.GetAwaiter().GetResult();
    }

    private T Pump<T>(Func<CancellationToken, Task<T>> work)
    {
        using var queue = new BlockingCollection<PipelineCall>();
        var previous = (_pump, _pipelineThread);
        (_pump, _pipelineThread) = (queue, Environment.CurrentManagedThreadId);
        var task = Task.Run(() => work(CancelToken));
        try
        {
            task.ContinueWith(_ => queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var call in queue.GetConsumingEnumerable())
            {
                // What the work said before asking (a warning about the plan, say) comes before the question. Writing
                // it may find the pipeline stopped: then the call fails too, or the work would wait on it for ever.
                try
                {
                    FlushMessages();
                }
                catch (Exception ex)
                {
                    call.Fail(ex);
                    throw;
                }

                call.Run();
                FlushMessages();
            }

            return task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (!task.IsCompleted)
        {
            // The pipeline stopped under the work (Ctrl+C, Select-Object -First…): cancel it, fail the calls it is
            // waiting on, and let it roll back before going on, so nothing is left half-done by this process.
            _stopping.Cancel();
            queue.CompleteAdding();
            foreach (var call in queue.GetConsumingEnumerable())
            {
                call.Fail(ex);
            }

            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
                // Its own failure (most likely the cancellation) is not news: the stop is.
            }

            throw;
        }
        finally
        {
            (_pump, _pipelineThread) = previous;
        }
    }

    private sealed record PipelineCall(Action Run, Action<Exception> Fail);

    /// <summary>As <see cref="Run{T}"/>, but failures with one of <paramref name="nonTerminating"/> ids ("*": any) are written as errors (default returned) so the next input still runs.</summary>
    protected T? RunOrWriteError<T>(Func<CancellationToken, Task<T>> work, params string[] nonTerminating) => RunCore(work, nonTerminating);

    private T? RunCore<T>(Func<CancellationToken, Task<T>> work, string[] nonTerminating)
    {
        try
        {
            return Pump(work);
        }
        catch (QemuNetException ex) when (nonTerminating.Contains(ex.ErrorId) || nonTerminating.Contains("*"))
        {
            WriteError(ToErrorRecord(ex));
            return default;
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (QemuNetException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
            throw; // not reached: ThrowTerminatingError always throws
        }
        finally
        {
            FlushMessages();
        }
    }

    /// <summary>Runs synchronous Core code; its failures become terminating errors.</summary>
    protected T Invoke<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (QemuNetException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
            throw;
        }
    }

    /// <summary>A -Verbose line from any thread; written on the pipeline thread at the next flush.</summary>
    protected void QueueVerbose(string line) => _messages.Enqueue((false, line));

    /// <summary>A warning from any thread; written on the pipeline thread at the next flush.</summary>
    protected void QueueWarning(string line) => _messages.Enqueue((true, line));

    protected void FlushMessages()
    {
        while (_messages.TryDequeue(out var message))
        {
            if (message.Warning)
            {
                WriteWarning(message.Text);
            }
            else
            {
                WriteVerbose(message.Text);
            }
        }
    }

    /// <summary>
    /// The items whose name matches one of <paramref name="names"/> (wildcards allowed), in that order; a name
    /// without wildcards that matches nothing is a non-terminating ObjectNotFound error with <paramref name="errorId"/>.
    /// </summary>
    protected IReadOnlyList<T> SelectByName<T>(IReadOnlyList<T> items, IEnumerable<string> names, Func<T, string> nameOf,
        string errorId, Func<string, string> notFoundMessage)
    {
        var selected = new List<T>();
        foreach (var name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = items.Where(item => pattern.IsMatch(nameOf(item))).ToArray();
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException(notFoundMessage(name)), errorId, ErrorCategory.ObjectNotFound, name)
                {
                    ErrorDetails = new ErrorDetails(notFoundMessage(name)) { RecommendedAction = $"Run Get-{(MyInvocation.MyCommand as CmdletInfo)?.Noun} to list what exists (names accept wildcards)." },
                });
            }

            selected.AddRange(matches);
        }

        return selected;
    }

    /// <summary>
    /// The engine's confirm callback: one ShouldProcess per step (so -WhatIf prints the whole plan and -Verbose shows
    /// each step). The first "No" cancels the whole plan, and the engine asks nothing more.
    /// </summary>
    protected bool ConfirmStep(HostStep step) => OnPipelineThread(() => ConfirmOnPipeline(step));

    private bool ConfirmOnPipeline(HostStep step)
    {
        var text = step.Describe().TrimEnd();
        // -WhatIf prints every change of the step; a real run's -Verbose names the step, and the process runner
        // then shows each command as it runs (so nothing, such as QEMU's command line, is shown twice).
        var shown = IsWhatIf ? text : $"[{step.Target}] {step.Action}";
        if (ShouldProcess(shown, $"{step.Action} on {step.Target}?\n{text}", step.Action))
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

    /// <summary>The state directory's books, checked (StateDirectoryUnsafe) and created when missing.</summary>
    protected StateStore OpenStore() => Invoke(StateDirectory.Open);

    /// <summary>A -Network argument as a network: the object given, or the one of that name in <paramref name="networkNamespace"/>.</summary>
    protected QemuNatNetwork ResolveNetwork(QemuNatNetworkArgument argument, string? networkNamespace)
    {
        if (argument.Network is { } given)
        {
            return given;
        }

        var host = Invoke(() => new HostContext(Runner, networkNamespace));
        var store = OpenStore();
        return Invoke(() => new NatManager(host, store).Get(argument.Name));
    }

    /// <summary>The one rule for optional string parameters bound by property name: empty means not given.</summary>
    protected static string? NotGiven(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal static ErrorRecord ToErrorRecord(QemuNetException ex)
    {
        var category = Enum.TryParse<ErrorCategory>(ex.Category.ToString(), out var parsed) ? parsed : ErrorCategory.NotSpecified;
        return new ErrorRecord(ex, ex.ErrorId, category, ex.Target)
        {
            ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction },
        };
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _stopping.Dispose();
        }

        _disposed = true;
    }
}
