using System.Globalization;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Core.Host;

/// <summary>
/// Where host changes happen: the current network namespace, or a named one (every program then runs
/// under `ip netns exec`, and sysctls are read and written there).
/// </summary>
public sealed class HostContext
{
    public HostContext(IProcessRunner runner, string? networkNamespace)
    {
        Runner = runner;
        NetworkNamespace = networkNamespace;
        if (networkNamespace is not null)
        {
            QemuVmManager.CheckNetworkNamespace(networkNamespace);
        }
    }

    public IProcessRunner Runner { get; }

    public string? NetworkNamespace { get; }

    public (string Program, IReadOnlyList<string> Arguments) Wrap(string program, IReadOnlyList<string> arguments) =>
        Wrap(NetworkNamespace, program, arguments);

    /// <summary>The argv to run <paramref name="program"/> in <paramref name="networkNamespace"/>: wrapped in `ip netns exec` unless null.</summary>
    public static (string Program, IReadOnlyList<string> Arguments) Wrap(string? networkNamespace, string program, IReadOnlyList<string> arguments) =>
        networkNamespace is null ? (program, arguments) : ("ip", ["netns", "exec", networkNamespace, program, .. arguments]);

    public async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null, bool throwOnFailure = true)
    {
        var (file, args) = Wrap(program, arguments);
        var result = await Runner.RunAsync(file, args, cancellationToken, standardInput).ConfigureAwait(false);
        if (throwOnFailure && !result.Succeeded)
        {
            throw new QemuNetException("HostCommandFailed", QemuNetErrorCategory.InvalidOperation, CommandLine.Format(program, arguments),
                $"'{CommandLine.Format(program, arguments)}' failed (exit code {result.ExitCode}): {result.StandardError.Trim()}",
                "Read the command's error output; run Test-QemuNetHost to check the tools and privileges QemuNet needs.");
        }

        return result;
    }

    /// <summary>
    /// A /proc or /sys file as this context's namespace shows it: read directly in the current namespace, through
    /// `ip netns exec … cat` in another (which mounts that namespace's /sys). Null when it does not exist.
    /// </summary>
    public async Task<string?> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        if (NetworkNamespace is null)
        {
            return File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        }

        var result = await RunAsync("cat", [path], cancellationToken, throwOnFailure: false).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput : null;
    }

    public async Task<string> ReadSysctlAsync(string key, CancellationToken cancellationToken) =>
        (await ReadFileAsync(SysctlPath(key), cancellationToken).ConfigureAwait(false))?.Trim()
        ?? throw new QemuNetException("HostSysctlMissing", QemuNetErrorCategory.ObjectNotFound, key,
            $"The sysctl {key} does not exist" + (NetworkNamespace is null ? "." : $" in namespace {NetworkNamespace}."),
            "Load the kernel module that provides it (for net.bridge.*: modprobe br_netfilter).");

    public async Task WriteSysctlAsync(string key, string value, CancellationToken cancellationToken)
    {
        if (NetworkNamespace is null)
        {
            await File.WriteAllTextAsync(SysctlPath(key), value, cancellationToken).ConfigureAwait(false);
            return;
        }

        await RunAsync("sysctl", ["-q", "-w", $"{key}={value}"], cancellationToken).ConfigureAwait(false);
    }

    public static string SysctlPath(string key) => "/proc/sys/" + key.Replace('.', '/');

    /// <summary>Runs one action; failures of undo-style actions marked IgnoreFailure are swallowed.</summary>
    public async Task ExecuteAsync(HostAction action, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case RunProgram run:
                await RunAsync(run.Program, run.Arguments, cancellationToken, run.StandardInput, throwOnFailure: !run.IgnoreFailure).ConfigureAwait(false);
                break;
            case WriteFile write:
                Directory.CreateDirectory(Path.GetDirectoryName(write.Path)!);
                await File.WriteAllTextAsync(write.Path, write.Content, cancellationToken).ConfigureAwait(false);
                break;
            case DeleteFile delete:
                File.Delete(delete.Path);
                break;
            case SetSysctl sysctl:
                await WriteSysctlAsync(sysctl.Key, sysctl.Value, cancellationToken).ConfigureAwait(false);
                break;
            case SignalPidFile signal:
                await SignalAsync(signal, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new NotSupportedException(action.GetType().Name);
        }
    }

    /// <summary>The pid in a pid file when that process is alive and its command line contains <paramref name="mustContain"/>.</summary>
    public static int? LivePid(string pidFile, string mustContain) =>
        ProcessProbe.ReadPidFile(pidFile) is { } pid
        && ProcessProbe.LiveCommandLine(pid) is { } arguments
        && string.Join(' ', arguments).Contains(mustContain, StringComparison.Ordinal)
            ? pid
            : null;

    private static async Task SignalAsync(SignalPidFile signal, CancellationToken cancellationToken)
    {
        if (LivePid(signal.PidFile, signal.CommandLineMustContain) is not { } pid)
        {
            return;
        }

        NativeMethods.Kill(pid, signal.Signal);
        if (signal.Signal != NativeMethods.SIGTERM)
        {
            return;
        }

        for (var i = 0; i < 100 && LivePid(signal.PidFile, signal.CommandLineMustContain) is not null; i++)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        if (LivePid(signal.PidFile, signal.CommandLineMustContain) is { } stubborn)
        {
            NativeMethods.Kill(stubborn, NativeMethods.SIGKILL);
        }
    }
}
