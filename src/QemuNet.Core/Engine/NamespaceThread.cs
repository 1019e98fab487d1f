using System.Runtime.ExceptionServices;

namespace QemuNet.Core.Engine;

/// <summary>
/// One thread that entered a network namespace once and runs the work handed to it, so a command that reads and
/// writes many files or sockets there pays for one thread and one setns, not one per call. It ends after a short
/// idle spell, so it neither outlives the command by much nor keeps a deleted namespace alive.
/// </summary>
public sealed class NamespaceThread
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMilliseconds(100);

    private readonly string _nsPath;
    private readonly object _gate = new();
    private readonly Queue<(Action Run, Action<Exception> Fail)> _work = new();
    private Thread? _thread;

    public NamespaceThread(string nsPath) => _nsPath = nsPath;

    /// <summary>Runs <paramref name="work"/> in the namespace and returns its result; its failure, or the setns failure, is thrown here.</summary>
    public T Run<T>(Func<T> work)
    {
        if (Thread.CurrentThread == _thread)
        {
            return work();
        }

        T result = default!;
        ExceptionDispatchInfo? failure = null;
        using var done = new ManualResetEventSlim();
        Enqueue(
            () =>
            {
                try
                {
                    result = work();
                }
                catch (Exception ex)
                {
                    failure = ExceptionDispatchInfo.Capture(ex);
                }
                finally
                {
                    done.Set();
                }
            },
            ex =>
            {
                failure = ExceptionDispatchInfo.Capture(ex);
                done.Set();
            });
        done.Wait();
        failure?.Throw();
        return result;
    }

    private void Enqueue(Action run, Action<Exception> fail)
    {
        lock (_gate)
        {
            _work.Enqueue((run, fail));
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "QemuNet netns" };
                _thread.Start();
            }
            else
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    private void Loop()
    {
        Exception? entering = null;
        try
        {
            NativeMethods.EnterNamespace(_nsPath);
        }
        catch (Exception ex)
        {
            entering = ex;
        }

        while (true)
        {
            (Action Run, Action<Exception> Fail) next;
            lock (_gate)
            {
                while (_work.Count == 0)
                {
                    if (!Monitor.Wait(_gate, IdleTimeout) && _work.Count == 0)
                    {
                        _thread = null;
                        return;
                    }
                }

                next = _work.Dequeue();
            }

            // A thread that could not enter runs nothing: it would run it in the wrong namespace.
            if (entering is null)
            {
                next.Run();
            }
            else
            {
                next.Fail(entering);
            }
        }
    }
}
