using QemuNet.Core.Processes;

namespace QemuNet.Core.Engine;

/// <summary>
/// Where host changes happen: the current network namespace, or a named one (every program then runs under
/// `ip netns exec`). A named namespace that is the one this process already runs in (pwsh started under
/// `ip netns exec NAME`) is treated as current: both ways in share one set of books.
/// </summary>
public sealed class HostContext
{
    public HostContext(IProcessRunner runner, string? networkNamespace)
    {
        Runner = runner;
        var current = NetworkNamespaceId.Current();
        Id = networkNamespace is null ? current : NetworkNamespaceId.Named(networkNamespace);
        ExecNamespace = Id.SameNamespace(current) ? null : networkNamespace;
        if (ExecNamespace is not null && !Can.SysAdmin)
        {
            // Reading a namespace needs `ip netns exec` (setns) as much as changing it; say so before anything fails on it.
            throw new QemuNetException(HostPrivilege.ErrorId, QemuNetErrorCategory.PermissionDenied, networkNamespace,
                $"Working in network namespace {networkNamespace} needs root: QemuNet enters it with ip netns exec, and this process runs as user id "
                + $"{NativeMethods.GetEffectiveUserId()}. Nothing was changed.",
                "Run the command as root (sudo pwsh), or leave out -NetworkNamespace to work in the current namespace.");
        }
    }

    /// <summary>A fixed identity, nothing probed (golden plans).</summary>
    public HostContext(IProcessRunner runner, NetworkNamespaceId id, string? execNamespace)
    {
        Runner = runner;
        Id = id;
        ExecNamespace = execNamespace;
    }

    public IProcessRunner Runner { get; }

    /// <summary>
    /// Whether nft's commands run through libnftables in this process (on a thread in the namespace) rather than as
    /// the nft program: with the real runner, whose programs are real too; a recording runner sees them as programs.
    /// </summary>
    public bool InProcessNftables => Runner is CliProcessRunner;

    /// <summary>Where the engine says what it decided (the cmdlets send it to -Verbose).</summary>
    public Action<string> Log { get; init; } = _ => { };

    /// <summary>What this process may change (read from /proc/self/status when the context is made).</summary>
    public HostPrivilege.Capabilities Can { get; init; } = HostPrivilege.Capabilities.Current();

    /// <summary>Where the engine says what the user must know even without -Verbose (the cmdlets send it to warnings).</summary>
    public Action<string> Warn { get; init; } = _ => { };

    /// <summary>The namespace's identity; its books are kept under <see cref="NetworkNamespaceId.Key"/>.</summary>
    public NetworkNamespaceId Id { get; }

    /// <summary>The namespace's name for display and for objects (null for an unnamed one, such as the host's).</summary>
    public string? NetworkNamespace => Id.Name;

    /// <summary>The name passed to `ip netns exec`, or null when programs run directly (this process is already there).</summary>
    public string? ExecNamespace { get; }

    public string Where => NetworkNamespace is null ? string.Empty : $" in namespace {NetworkNamespace}";

    /// <summary>
    /// The argv to run <paramref name="program"/> here: ip itself enters the namespace (`ip -n`, a setns and no new
    /// mounts); anything else runs under `ip netns exec`, which also gives it the namespace's /sys and /etc/netns files.
    /// </summary>
    public (string Program, IReadOnlyList<string> Arguments) Wrap(string program, IReadOnlyList<string> arguments) =>
        ExecNamespace is not null && program == "ip" ? ("ip", ["-n", ExecNamespace, .. arguments]) : Wrap(ExecNamespace, program, arguments);

    /// <summary>The argv to run <paramref name="program"/> in <paramref name="networkNamespace"/>: wrapped in `ip netns exec` unless null.</summary>
    public static (string Program, IReadOnlyList<string> Arguments) Wrap(string? networkNamespace, string program, IReadOnlyList<string> arguments) =>
        networkNamespace is null ? (program, arguments) : ("ip", ["netns", "exec", networkNamespace, program, .. arguments]);

    public async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null, bool throwOnFailure = true)
    {
        ProcessResult? result = null;
        // Without CAP_NET_ADMIN every nft call fails anyway, and the library then writes its complaint to this
        // process's own stderr: the program's goes to its captured stderr.
        if (program == "nft" && InProcessNftables && Can.NetAdmin && LibNftables.Parse(arguments, standardInput) is { } call && LibNftables.Available)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Log($"libnftables: {CommandLine.Format(program, arguments)}{Where}");
            result = InNamespace(() => LibNftables.Run(call));
        }

        if (result is null)
        {
            var (file, args) = Wrap(program, arguments);
            result = await Runner.RunAsync(file, args, cancellationToken, standardInput).ConfigureAwait(false);
        }

        if (throwOnFailure && !result.Succeeded)
        {
            throw new QemuNetException("HostCommandFailed", QemuNetErrorCategory.InvalidOperation, CommandLine.Format(program, arguments),
                $"'{CommandLine.Format(program, arguments)}' failed (exit code {result.ExitCode}): {result.StandardError.Trim()}",
                "Read the command's error output; run Test-QemuNetHost to check the tools and privileges QemuNet needs.");
        }

        return result;
    }

    /// <summary>
    /// A /proc or /sys file as this context's namespace shows it: read directly in the current namespace; in another,
    /// /proc/sys and /proc/net on a thread that entered it (they follow the reading thread's namespace: /proc/net as
    /// /proc/thread-self/net), and /sys through `ip netns exec … cat` (sysfs shows the namespace of whoever mounted
    /// it, and ip netns exec mounts that namespace's). Null when it does not exist.
    /// </summary>
    public async Task<string?> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        if (ExecNamespace is null)
        {
            return File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        }

        if (ThreadPath(path) is { } inside)
        {
            return InNamespace(() => File.Exists(inside) ? File.ReadAllText(inside) : null);
        }

        var result = await RunAsync("cat", [path], cancellationToken, throwOnFailure: false).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput : null;
    }

    /// <summary>
    /// Runs file work on a thread in this context's namespace (the current one when it is here). Only for /proc/sys and
    /// /proc/thread-self/net: nothing else there follows the thread.
    /// </summary>
    public T InNamespace<T>(Func<T> work) =>
        ExecNamespace is null ? work() : (_namespaceThread ??= new NamespaceThread(Path.Combine("/run/netns", ExecNamespace))).Run(work);

    private NamespaceThread? _namespaceThread;

    private static string? ThreadPath(string path) =>
        path.StartsWith("/proc/sys/", StringComparison.Ordinal) ? path
        : path.StartsWith("/proc/net/", StringComparison.Ordinal) ? "/proc/thread-self/net/" + path["/proc/net/".Length..]
        : null;

    public async Task<string> ReadSysctlAsync(string key, CancellationToken cancellationToken) =>
        (await ReadFileAsync(SysctlPath(key), cancellationToken).ConfigureAwait(false))?.Trim()
        ?? throw new QemuNetException("HostSysctlMissing", QemuNetErrorCategory.ObjectNotFound, key,
            $"The sysctl {key} does not exist{Where}.",
            "Load the kernel module that provides it (for net.bridge.*: modprobe br_netfilter).");

    public Task WriteSysctlAsync(string key, string value, CancellationToken cancellationToken)
    {
        // A file write, not a program (the step's title says what it does), in the namespace's /proc/sys.
        cancellationToken.ThrowIfCancellationRequested();
        return InNamespace(() =>
        {
            File.WriteAllText(SysctlPath(key), value);
            return Task.CompletedTask;
        });
    }

    /// <summary>A sysctl's file; as sysctl(8) names them, a '/' inside a part stands for a dot (net.ipv4.conf.eth0/100.forwarding).</summary>
    public static string SysctlPath(string key) => "/proc/sys/" + string.Join('/', key.Split('.').Select(part => part.Replace('/', '.')));

    /// <summary>Runs one action; failures of actions marked IgnoreFailure are swallowed.</summary>
    public async Task ExecuteAsync(HostAction action, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case RunProgram run:
                await RunAsync(run.Program, run.Arguments, cancellationToken, run.StandardInput, throwOnFailure: !run.IgnoreFailure).ConfigureAwait(false);
                break;
            case ApplyNftTable nft:
                await ApplyNftTableAsync(nft, cancellationToken).ConfigureAwait(false);
                break;
            case WriteFile write:
                CheckExpected(write.Path, write.Expect, write.Content);
                // The books' folders exist already (made safely by the store); this is for host files such as /etc/qemu.
                Directory.CreateDirectory(Path.GetDirectoryName(write.Path)!);
                StateStore.WriteAtomic(write.Path, write.Content, write.UnixMode);
                break;
            case DeleteFile delete:
                CheckExpected(delete.Path, delete.Expect, null);
                File.Delete(delete.Path);
                break;
            case SetSysctl sysctl:
                await WriteSysctlAsync(sysctl.Key, sysctl.Value, cancellationToken).ConfigureAwait(false);
                break;
            case SignalPidFile signal:
                await SignalAsync(signal, cancellationToken).ConfigureAwait(false);
                break;
            case DeleteOwnedLink link:
                cancellationToken.ThrowIfCancellationRequested();
                Log(InNamespace(() => DeleteIfOwned(link)));
                break;
            case StartVmProcess start:
                await StartVmAsync(start, cancellationToken).ConfigureAwait(false);
                break;
            case StopVmProcess stop:
                var how = await Vm.QemuStopper.StopAsync(stop, cancellationToken).ConfigureAwait(false);
                Log($"VM '{stop.Vm}'{Where}: {how}.");
                break;
            case QmpCommand qmp:
                await Vm.QmpActions.ExecuteAsync(qmp, cancellationToken).ConfigureAwait(false);
                break;
            case QmpUnplugDevice unplug:
                await Vm.QmpActions.UnplugAsync(unplug, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new NotSupportedException(action.GetType().Name);
        }
    }

    /// <summary>
    /// The look and the delete in one go over rtnetlink, on one thread in the namespace: the delete names the index
    /// the look found, so a link put in its place meanwhile is not touched.
    /// </summary>
    private static string DeleteIfOwned(DeleteOwnedLink link)
    {
        if (RtNetlink.GetLink(link.Name) is not { } present)
        {
            return $"rtnetlink: no link {link.Name} to delete.";
        }

        if (!link.Owns(present))
        {
            return $"rtnetlink: link {link.Name} is not ours (alias '{present.Alias}', address {present.MacAddress}); left alone.";
        }

        return RtNetlink.DeleteLink(present.Index, link.Name)
            ? $"rtnetlink: deleted link {link.Name} (index {present.Index})."
            : $"rtnetlink: link {link.Name} (index {present.Index}) was gone before the delete.";
    }

    /// <summary>
    /// From a file, not standard input: with -j, nft 1.0.6 first reads its input as JSON, and when that fails it parses
    /// the same input again as a ruleset, which from a pipe is then empty: nothing applied, exit code 0.
    /// </summary>
    private async Task ApplyNftTableAsync(ApplyNftTable nft, CancellationToken cancellationToken)
    {
        var transaction = nft.TransactionFile;
        StateStore.WriteAtomic(transaction, nft.Transaction);
        try
        {
            var echoed = await RunAsync("nft", ["-j", "-e", "-a", "-f", transaction], cancellationToken).ConfigureAwait(false);
            var applied = NftSnapshot.FromEcho(echoed.StandardOutput).Table(nft.Family, nft.Table)
                ?? throw new QemuNetException("HostCommandFailed", QemuNetErrorCategory.InvalidResult, nft.Table,
                    $"nft applied no table {nft.Family} {nft.Table} from {transaction}: {echoed.StandardOutput.Trim()}", "Check the nftables version (nft --version).");
            StateStore.WriteAtomic(nft.AppliedTo, applied);
        }
        finally
        {
            File.Delete(transaction);
        }
    }

    /// <summary>The pid in a pid file when that process is alive and its command line contains <paramref name="mustContain"/>.</summary>
    public static int? LivePid(string pidFile, string mustContain) =>
        ProcessProbe.ReadPidFile(pidFile) is { } pid
        && ProcessProbe.LiveCommandLine(pid) is { } arguments
        && string.Join(' ', arguments).Contains(mustContain, StringComparison.Ordinal)
            ? pid
            : null;

    private async Task StartVmAsync(StartVmProcess start, CancellationToken cancellationToken)
    {
        var result = start.HandOver is { Count: > 0 } handOver
            ? await StartWithTapsAsync(start, handOver, cancellationToken).ConfigureAwait(false)
            : await RunAsync(start.Program, start.Arguments, cancellationToken, throwOnFailure: false).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var message = result.StandardError.Trim();
            throw new QemuNetException("QemuStartFailed", QemuNetErrorCategory.InvalidArgument, start.Vm,
                $"QEMU did not start VM '{start.Vm}' (exit code {result.ExitCode}): {(message.Length > 0 ? message : "no message")}",
                "Read QEMU's message above; run Start-QemuVm with -WhatIf to see the exact arguments.");
        }

        if (Vm.QemuStopper.LiveQemuPid(start.PidFile) is null)
        {
            throw new QemuNetException("QemuPidFileMissing", QemuNetErrorCategory.InvalidResult, start.PidFile,
                $"QEMU reported a start of VM '{start.Vm}' but no QEMU runs with the pid file {start.PidFile}.",
                "Read the VM's console log; check that the state directory is writable, then run Start-QemuVm again.");
        }
    }

    /// <summary>
    /// Opens the TAPs QEMU gets by descriptor, puts them on their bridges and starts QEMU with them at their numbers.
    /// Ours close afterwards, whatever happened: QEMU then holds the only ones, and a TAP it never got is gone.
    /// </summary>
    private async Task<ProcessResult> StartWithTapsAsync(StartVmProcess start, IReadOnlyList<TapHandOver> handOver, CancellationToken cancellationToken)
    {
        var handles = new List<(System.Runtime.InteropServices.SafeHandle Handle, int Target)>();
        try
        {
            foreach (var tap in handOver)
            {
                handles.AddRange(TunDevice.Open(tap.IfName, ExecNamespace, tap.Queues, tap.VnetHdr).Select((h, k) => ((System.Runtime.InteropServices.SafeHandle)h, tap.FirstFd + k)));
                if (tap.Vhost)
                {
                    handles.AddRange(TunDevice.OpenVhost(tap.Queues).Select((h, k) => ((System.Runtime.InteropServices.SafeHandle)h, tap.FirstFd + tap.Queues + k)));
                }

                await RunAsync("ip", ["link", "set", "dev", tap.IfName, "master", tap.Bridge], cancellationToken).ConfigureAwait(false);
                await RunAsync("ip", ["link", "set", "dev", tap.IfName, "up"], cancellationToken).ConfigureAwait(false);
            }

            var (file, arguments) = Wrap(start.Program, start.Arguments);
            Log($"{CommandLine.Format(file, arguments)} (with descriptors {string.Join(", ", handles.Select(h => h.Target))})");
            return await FdSpawner.RunAsync(file, arguments, handles, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            handles.ForEach(h => h.Handle.Dispose());
        }
    }

    /// <summary>
    /// Fails unless the file holds what the plan read, or already what the action leaves (an undo of a change a
    /// kill interrupted before it ran finds the file as it was, which is where the undo goes anyway).
    /// </summary>
    private static void CheckExpected(string path, FileExpectation? expect, string? result)
    {
        if (expect is null)
        {
            return;
        }

        var now = File.Exists(path) ? File.ReadAllText(path) : null;
        if (now != expect.Text && now != result)
        {
            throw new InvalidOperationException(expect.Text is null
                ? $"{path} was created by someone else after QemuNet looked; it is left as it is."
                : now is null
                    ? $"{path} was removed by someone else after QemuNet read it; it is left as it is."
                    : $"{path} was changed by someone else after QemuNet read it; their version is kept.");
        }
    }

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
