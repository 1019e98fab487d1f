using System.Collections;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QemuNet.Core.Processes;

/// <summary>
/// Starts a program that inherits given descriptors at given numbers, and nothing else of ours: posix_spawn with
/// dup2 file actions. The descriptors stay close-on-exec in this process; only the copies dup2 makes in the child
/// lose that flag, so a program another thread starts meanwhile never inherits them (clearing close-on-exec on the
/// originals would leak them into it). Output is read through pipes, as <see cref="CliProcessRunner"/> does.
/// </summary>
public static class FdSpawner
{
    private const int OCloExec = 0x80000;
    private const int FDupFdCloExec = 1030;
    private const int ORdOnly = 0;

    /// <summary>How long output is still read after the program exited (a child it left may hold the pipe).</summary>
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(5);

    public static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments,
        IReadOnlyList<(SafeHandle Handle, int Target)> handOver, CancellationToken cancellationToken)
    {
        var program = ProgramPath.Resolve(fileName);
        var targets = handOver.Select(h => h.Target).ToList();
        if (targets.Any(t => t < 3) || targets.Distinct().Count() != targets.Count)
        {
            throw new ArgumentException("Targets must be distinct descriptor numbers from 3.", nameof(handOver));
        }

        // Copies above every target, so no dup2 in the child overwrites a source another one still needs.
        var floor = targets.Count == 0 ? 3 : targets.Max() + 1;
        var sources = new List<SafeFileHandle>();
        var (outRead, outWrite) = Pipe();
        var (errRead, errWrite) = Pipe();
        var fileActions = Marshal.AllocHGlobal(256);
        var strings = new List<IntPtr>();
        int pid;
        try
        {
            foreach (var (handle, _) in handOver)
            {
                var copy = Fcntl((int)handle.DangerousGetHandle(), FDupFdCloExec, floor);
                if (copy < 0)
                {
                    throw new IOException($"fcntl(F_DUPFD_CLOEXEC) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                }

                sources.Add(new SafeFileHandle(copy, ownsHandle: true));
            }

            Check(PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            try
            {
                Check(PosixSpawnFileActionsAddOpen(fileActions, 0, "/dev/null", ORdOnly, 0), "addopen");
                Check(PosixSpawnFileActionsAddDup2(fileActions, (int)outWrite.DangerousGetHandle(), 1), "adddup2");
                Check(PosixSpawnFileActionsAddDup2(fileActions, (int)errWrite.DangerousGetHandle(), 2), "adddup2");
                for (var i = 0; i < sources.Count; i++)
                {
                    Check(PosixSpawnFileActionsAddDup2(fileActions, (int)sources[i].DangerousGetHandle(), targets[i]), "adddup2");
                }

                var argv = Strings(strings, [program, .. arguments]);
                var envp = Strings(strings, Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}").ToList());
                var error = PosixSpawn(out pid, program, fileActions, IntPtr.Zero, argv, envp);
                if (error != 0)
                {
                    throw new IOException($"Could not start {program}: {Marshal.GetPInvokeErrorMessage(error)}");
                }
            }
            finally
            {
                _ = PosixSpawnFileActionsDestroy(fileActions);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(fileActions);
            strings.ForEach(Marshal.FreeCoTaskMem);
            sources.ForEach(s => s.Dispose());
            // The child has its own ends; ours must close, or the reads below would never end.
            outWrite.Dispose();
            errWrite.Dispose();
        }

        var stdout = ReadAsync(outRead);
        var stderr = ReadAsync(errRead);
        var exitCode = await WaitAsync(pid, cancellationToken).ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(Drain, CancellationToken.None)).ConfigureAwait(false);
        return new ProcessResult(exitCode, stdout.IsCompletedSuccessfully ? stdout.Result : string.Empty,
            stderr.IsCompletedSuccessfully ? stderr.Result : string.Empty);
    }

    private static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = new int[2];
        if (Pipe2(fds, OCloExec) != 0)
        {
            throw new IOException($"pipe2 failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Reads a pipe to its end on a thread of its own, which closes it: a child left holding it keeps only that thread.</summary>
    private static Task<string> ReadAsync(SafeFileHandle handle)
    {
        var text = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var reader = new StreamReader(new FileStream(handle, FileAccess.Read, 1, isAsync: false));
                text.SetResult(reader.ReadToEnd());
            }
            catch (Exception ex)
            {
                text.SetException(ex);
            }
        }) { IsBackground = true };
        thread.Start();
        return text.Task;
    }

    /// <summary>
    /// The exit code of <paramref name="pid"/>. .NET reaps only the children it started itself, so this one is
    /// ours to wait for; cancelling kills it.
    /// </summary>
    private static async Task<int> WaitAsync(int pid, CancellationToken cancellationToken)
    {
        while (true)
        {
            var done = WaitPid(pid, out var status, 1 /* WNOHANG */);
            if (done == pid)
            {
                // WIFEXITED: the exit code; killed by a signal: 128 + the signal, as a shell reports it.
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            }

            if (done < 0)
            {
                throw new IOException($"waitpid({pid}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            if (cancellationToken.IsCancellationRequested)
            {
                _ = Engine.NativeMethods.Kill(pid, 9);
            }

            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static IntPtr Strings(List<IntPtr> owned, IReadOnlyList<string> values)
    {
        var array = Marshal.AllocCoTaskMem(IntPtr.Size * (values.Count + 1));
        owned.Add(array);
        for (var i = 0; i < values.Count; i++)
        {
            var text = Marshal.StringToCoTaskMemUTF8(values[i]);
            owned.Add(text);
            Marshal.WriteIntPtr(array, i * IntPtr.Size, text);
        }

        Marshal.WriteIntPtr(array, values.Count * IntPtr.Size, IntPtr.Zero);
        return array;
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new IOException($"posix_spawn {what} failed: {Marshal.GetPInvokeErrorMessage(error)}");
        }
    }

#pragma warning disable SYSLIB1054, CA2101 // LibraryImport would need unsafe code; strings are UTF-8 on Unix either way.
    [DllImport("libc", EntryPoint = "posix_spawn")]
    private static extern int PosixSpawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, IntPtr argv, IntPtr envp);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static extern int PosixSpawnFileActionsInit(IntPtr fileActions);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static extern int PosixSpawnFileActionsDestroy(IntPtr fileActions);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static extern int PosixSpawnFileActionsAddDup2(IntPtr fileActions, int fd, int newFd);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static extern int PosixSpawnFileActionsAddOpen(IntPtr fileActions, int fd, string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static extern int Pipe2(int[] fds, int flags);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static extern int WaitPid(int pid, out int status, int options);
#pragma warning restore SYSLIB1054, CA2101
}
