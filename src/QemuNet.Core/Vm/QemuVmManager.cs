using QemuNet.Core.Engine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Vm;

/// <summary>Starts, finds and stops the guests the module runs; their records live in the state directory.</summary>
public sealed class QemuVmManager
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly IProcessRunner _runner;

    public QemuVmManager(IProcessRunner runner, string stateDirectory)
    {
        _runner = runner;
        StateDirectory = stateDirectory;
    }

    public string StateDirectory { get; }

    /// <summary>KVM when /dev/kvm opens read-write, else TCG (what Auto means).</summary>
    public static QemuAccelerator ResolveAccelerator(QemuAccelerator requested)
    {
        var kvmUsable = HostDevice.CanOpen("/dev/kvm");
        return requested switch
        {
            QemuAccelerator.Auto => kvmUsable ? QemuAccelerator.Kvm : QemuAccelerator.Tcg,
            QemuAccelerator.Kvm when !kvmUsable => throw new QemuNetException("KvmUnavailable", QemuNetErrorCategory.ResourceUnavailable,
                "/dev/kvm", "-Accelerator Kvm was asked for, but /dev/kvm cannot be opened for reading and writing.",
                "Use -Accelerator Tcg (software emulation), or give this user access to /dev/kvm (group kvm)."),
            _ => requested,
        };
    }

    /// <summary>
    /// What a start would fail on, found before anything runs (and so also by -WhatIf): a running VM of that name
    /// (with a record, or an orphan QEMU a killed start left, found by its pid file; its files are left alone),
    /// a host port another running QemuNet VM of the namespace already forwards, two TAPs with one name.
    /// </summary>
    public async Task CheckStartAsync(QemuLaunchSpec spec, string? networkNamespace, CancellationToken ct)
    {
        var paths = new QemuVmPaths(StateDirectory, spec.Name);
        var running = TryLoad(paths.RecordFile) is { State: QemuVmState.Running } earlier ? earlier.Pid
            : HostContext.LivePid(paths.PidFile, paths.PidFile);
        if (running is { } pid)
        {
            throw new QemuNetException("VmAlreadyRunning", QemuNetErrorCategory.ResourceExists, spec.Name,
                $"A VM named '{spec.Name}' is already running (pid {pid}).",
                "Choose another -Name, or stop it first with Stop-QemuVm.");
        }

        var forwards = spec.Nics.Select(n => n.Backend).OfType<QemuUserNet>().SelectMany(u => u.HostForward).ToList();
        foreach (var other in List().Where(v => v.State == QemuVmState.Running && v.Name != spec.Name && v.NetworkNamespace == networkNamespace))
        {
            foreach (var theirs in other.Nics.Select(n => n.Backend).OfType<QemuUserNet>().SelectMany(u => u.HostForward))
            {
                if (forwards.FirstOrDefault(theirs.ConflictsWith) is { } mine)
                {
                    throw new QemuNetException("VmHostPortInUse", QemuNetErrorCategory.ResourceExists, mine.HostPort,
                        $"Host port {mine.HostPort}/{mine.Protocol} is already forwarded by the running VM '{other.Name}' ({theirs}); QEMU would fail with \"Could not set up host forwarding rule\".",
                        $"Give -HostForward another host port, or stop '{other.Name}' first.");
                }
            }
        }

        if (forwards.Count > 0)
        {
            await CheckForwardsAgainstHostAsync(forwards, networkNamespace, ct).ConfigureAwait(false);
        }

        var taps = spec.Nics.Select(n => n.Backend).OfType<QemuTapNet>().Select(t => t.IfName).OfType<string>().ToList();
        if (taps.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new QemuNetException("TapIfNameDuplicate", QemuNetErrorCategory.InvalidArgument, twice.Key,
                $"Two TAPs of the VM are both named {twice.Key}; a link name is taken once.",
                "Give each New-QemuTap its own -IfName, or leave -IfName out to get a derived one.");
        }
    }

    /// <summary>A user-mode host forward's port must not be a NAT network's forwarded port or a port something listens on.</summary>
    private async Task CheckForwardsAgainstHostAsync(IReadOnlyList<QemuHostForward> forwards, string? networkNamespace, CancellationToken ct)
    {
        var host = new HostContext(_runner, networkNamespace);
        var bound = await HostSockets.ListAsync(host, ct).ConfigureAwait(false);
        var natForwards = Engine.StateStore.OpenExisting(StateDirectory) is { } store
            ? new Nat.NatManager(host, store).ListRecords().Networks.SelectMany(n => n.PortForwards.Select(f => (Network: n.Name, Forward: f))).ToList()
            : [];
        foreach (var forward in forwards)
        {
            var protocol = forward.Protocol.ToString().ToLowerInvariant();
            if (natForwards.FirstOrDefault(n => n.Forward.Protocol == forward.Protocol && n.Forward.HostPort == forward.HostPort) is { Network: { } network })
            {
                throw new QemuNetException("VmHostPortInUse", QemuNetErrorCategory.ResourceExists, forward.HostPort,
                    $"Host port {forward.HostPort}/{forward.Protocol} is forwarded by the NAT network '{network}'; its DNAT would take this VM's traffic.",
                    $"Give -HostForward another host port, or Remove-QemuPortForward -Network {network} -HostPort {forward.HostPort}.");
            }

            if (bound.Any(b => b.Protocol == protocol && b.Port == forward.HostPort))
            {
                throw new QemuNetException("VmHostPortInUse", QemuNetErrorCategory.ResourceExists, forward.HostPort,
                    $"Something already listens on host port {forward.HostPort}/{forward.Protocol}{host.Where}; QEMU would fail with \"Could not set up host forwarding rule\".",
                    $"Give -HostForward another host port, or find the listener with 'ss -lntup' and stop it.");
            }
        }
    }

    public async Task<QemuVm> StartAsync(QemuLaunchSpec resolvedSpec, string qemuPath, QemuAccelerator accelerator,
        IReadOnlyList<string> arguments, string? networkNamespace, CancellationToken cancellationToken)
    {
        Engine.StateDirectory.Open(StateDirectory);
        var paths = new QemuVmPaths(StateDirectory, resolvedSpec.Name);
        await CheckStartAsync(resolvedSpec, networkNamespace, cancellationToken).ConfigureAwait(false);
        if (TryLoad(paths.RecordFile) is { } earlier)
        {
            await CleanUpAsync(earlier).ConfigureAwait(false);
        }

        RemoveFiles(paths);
        var createdTaps = await PrepareTapsAsync(resolvedSpec, networkNamespace, cancellationToken).ConfigureAwait(false);
        var vm = new QemuVm
        {
            Name = resolvedSpec.Name,
            QemuPath = qemuPath,
            Arguments = arguments,
            Accelerator = accelerator,
            Nics = resolvedSpec.Nics,
            NetworkNamespace = networkNamespace,
            StateDirectory = StateDirectory,
            StartTime = DateTimeOffset.Now,
            CreatedTaps = createdTaps,
        };

        var (fileName, argv) = HostContext.Wrap(networkNamespace, qemuPath, arguments);
        ProcessResult result;
        try
        {
            result = await _runner.RunAsync(fileName, argv, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CleanUpAsync(vm).ConfigureAwait(false);
            throw;
        }

        if (!result.Succeeded)
        {
            await CleanUpAsync(vm).ConfigureAwait(false);
            var message = result.StandardError.Trim();
            throw new QemuNetException("QemuStartFailed", QemuNetErrorCategory.InvalidArgument, resolvedSpec.Name,
                $"QEMU did not start VM '{resolvedSpec.Name}' (exit code {result.ExitCode}): {(message.Length > 0 ? message : "no message")}",
                "Read QEMU's message above; run Start-QemuVm with -WhatIf to see the exact arguments.");
        }

        var pid = ProcessProbe.ReadPidFile(paths.PidFile) ?? throw new QemuNetException("QemuPidFileMissing", QemuNetErrorCategory.InvalidResult,
            paths.PidFile, $"QEMU started but wrote no pid file at {paths.PidFile}.",
            "Check that the state directory is writable (or set $env:QEMUNET_STATE_DIR), then run Start-QemuVm again.");
        vm = With(vm, pid);
        vm.State = QemuVmState.Running;
        Save(vm);
        return vm;
    }

    /// <summary>
    /// Writes the VM's record again (atomically), with what was learnt since the start, such as the addresses
    /// -WaitForLease found; only while the record is still this run's (same pid).
    /// </summary>
    public void Save(QemuVm vm)
    {
        if (TryLoad(vm.Paths.RecordFile) is { } current && current.Pid != vm.Pid)
        {
            return;
        }

        StateStore.WriteAtomic(vm.Paths.RecordFile, JsonSerializer.Serialize(vm, Json));
    }

    /// <summary>
    /// Creates (ip tuntap, owned by the user QEMU runs as), attaches and raises the TAPs the module is in charge
    /// of, before QEMU opens them by name, so the guest is on its bridge from its first packet. A TAP that
    /// already exists is attached but left alone afterwards. Returns the TAPs it created; on failure it
    /// deletes them again.
    /// </summary>
    private async Task<IReadOnlyList<string>> PrepareTapsAsync(QemuLaunchSpec spec, string? netns, CancellationToken ct)
    {
        var taps = spec.Nics.Select(n => n.Backend).OfType<QemuTapNet>().Where(t => t.ModuleAttaches).ToList();
        if (taps.Count == 0)
        {
            return [];
        }

        var host = new HostContext(_runner, netns);
        var created = new List<string>();
        try
        {
            foreach (var tap in taps)
            {
                var ifName = tap.IfName!;
                var existing = await HostLinks.GetAsync(host, ifName, ct).ConfigureAwait(false);
                if (existing is not null && existing.Kind != "tun")
                {
                    throw new QemuNetException("TapNameInUse", QemuNetErrorCategory.ResourceExists, ifName,
                        $"A link named {ifName} already exists and is not a TAP ({existing.Kind ?? "a plain link"}).", "Choose another -IfName.");
                }

                if (existing is null)
                {
                    List<string> add = ["tuntap", "add", "dev", ifName, "mode", "tap", "user", NativeMethods.GetEffectiveUserId().ToString(CultureInfo.InvariantCulture)];
                    if (tap.Queues > 1)
                    {
                        add.Add("multi_queue");
                    }

                    await host.RunAsync("ip", add, ct).ConfigureAwait(false);
                    created.Add(ifName);
                }

                await host.RunAsync("ip", ["link", "set", "dev", ifName, "master", tap.Bridge!], ct).ConfigureAwait(false);
                await host.RunAsync("ip", ["link", "set", "dev", ifName, "up"], ct).ConfigureAwait(false);
            }
        }
        catch
        {
            await DeleteTapsAsync(host, created).ConfigureAwait(false);
            throw;
        }

        return created;
    }

    /// <summary>After QEMU has exited: deletes the TAPs the module made for it and the VM's files.</summary>
    public async Task CleanUpAsync(QemuVm vm)
    {
        await DeleteCreatedTapsAsync(vm).ConfigureAwait(false);
        RemoveFiles(vm.Paths);
    }

    /// <summary>After QEMU has exited: deletes the TAPs the module made for it (its record and console log stay).</summary>
    public async Task DeleteCreatedTapsAsync(QemuVm vm)
    {
        // A TAP dies with its namespace; never look for it in another one.
        if (vm.CreatedTaps.Count > 0 && (vm.NetworkNamespace is null || File.Exists(Path.Combine("/run/netns", vm.NetworkNamespace))))
        {
            await DeleteTapsAsync(new HostContext(_runner, vm.NetworkNamespace), vm.CreatedTaps).ConfigureAwait(false);
        }
    }

    private static async Task DeleteTapsAsync(HostContext host, IEnumerable<string> taps)
    {
        foreach (var tap in taps)
        {
            // Only a TAP is deleted: a link that took the name since is someone else's.
            if (await HostLinks.GetAsync(host, tap, CancellationToken.None).ConfigureAwait(false) is { Kind: "tun" })
            {
                await host.RunAsync("ip", ["link", "del", "dev", tap], CancellationToken.None, throwOnFailure: false).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Deletes the TAPs of guests that exited on their own (a poweroff without -Wait), so a TAP the module made
    /// does not outlive its guest longer than the next look at the VMs.
    /// </summary>
    public async Task ReapExitedAsync()
    {
        foreach (var vm in List().Where(v => v.State == QemuVmState.Exited && v.CreatedTaps.Count > 0))
        {
            await DeleteCreatedTapsAsync(vm).ConfigureAwait(false);
        }
    }

    public IReadOnlyList<QemuVm> List()
    {
        if (!Directory.Exists(StateDirectory))
        {
            return [];
        }

        var recorded = Directory.EnumerateFiles(StateDirectory, "*.vm.json").Select(TryLoad).OfType<QemuVm>().ToList();
        return recorded.Concat(FindOrphans(recorded.Select(v => v.Name).ToHashSet(StringComparer.Ordinal)))
            .OrderBy(vm => vm.Name, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// QEMU processes that run with a VM's pid file of this state directory but have no record (a start killed after
    /// QEMU daemonized): listed so they can be seen and stopped, never started over.
    /// </summary>
    private IEnumerable<QemuVm> FindOrphans(HashSet<string> recorded)
    {
        foreach (var pidFile in Directory.EnumerateFiles(StateDirectory, "*.pid"))
        {
            var name = Path.GetFileNameWithoutExtension(pidFile);
            if (recorded.Contains(name) || HostContext.LivePid(pidFile, pidFile) is not { } pid || ProcessProbe.LiveCommandLine(pid) is not { Count: > 0 } argv)
            {
                continue;
            }

            yield return new QemuVm
            {
                Name = name,
                Pid = pid,
                State = QemuVmState.Orphaned,
                QemuPath = argv[0],
                Arguments = argv.Skip(1).ToArray(),
                StateDirectory = StateDirectory,
                NetworkNamespace = NetworkNamespaceId.NameOfProcess(pid),
            };
        }
    }

    /// <summary>Blocks until the guest's QEMU has exited.</summary>
    public static async Task WaitForExitAsync(QemuVm vm, CancellationToken cancellationToken)
    {
        while (IsAlive(vm))
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        vm.State = QemuVmState.Exited;
    }

    /// <summary>QMP quit, then SIGTERM, then SIGKILL, waiting up to <paramref name="grace"/> after each; then removes its files.</summary>
    public async Task<string> StopAsync(QemuVm vm, TimeSpan grace, CancellationToken cancellationToken)
    {
        var how = "already exited";
        if (IsAlive(vm))
        {
            how = "QMP quit";
            if (!await QmpClient.TryQuitAsync(vm.QmpSocket, grace, cancellationToken).ConfigureAwait(false)
                || !await ExitedWithinAsync(vm, grace, cancellationToken).ConfigureAwait(false))
            {
                how = "SIGTERM";
                NativeMethods.Kill(vm.Pid, NativeMethods.SIGTERM);
                if (!await ExitedWithinAsync(vm, grace, cancellationToken).ConfigureAwait(false))
                {
                    how = "SIGKILL";
                    NativeMethods.Kill(vm.Pid, NativeMethods.SIGKILL);
                    if (!await ExitedWithinAsync(vm, grace, cancellationToken).ConfigureAwait(false))
                    {
                        throw new QemuNetException("VmStopFailed", QemuNetErrorCategory.OperationTimeout, vm.Name,
                            $"VM '{vm.Name}' (pid {vm.Pid}) is still running after SIGKILL.",
                            $"Check the process with 'ps -p {vm.Pid}' (it may be stuck in the kernel), then run Stop-QemuVm again.");
                    }
                }
            }
        }

        vm.State = QemuVmState.Exited;

        // A stale object (read before the VM was restarted under the same name) must not clean up the new one.
        if (TryLoad(vm.Paths.RecordFile) is not { } current || current.Pid == vm.Pid)
        {
            await CleanUpAsync(vm).ConfigureAwait(false);
        }
        else
        {
            how = $"already exited; VM '{vm.Name}' now runs again as pid {current.Pid} and was left alone";
        }

        return how;
    }

    /// <summary>
    /// Alive means /proc/PID exists, is not a zombie, and its command line names this VM's pid file,
    /// so a recycled pid is never mistaken for the guest (nor signalled).
    /// </summary>
    public static bool IsAlive(QemuVm vm) =>
        ProcessProbe.LiveCommandLine(vm.Pid) is { } arguments && arguments.Contains(vm.Paths.PidFile, StringComparer.Ordinal);

    private static async Task<bool> ExitedWithinAsync(QemuVm vm, TimeSpan time, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + time;
        while (IsAlive(vm))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static QemuVm? TryLoad(string recordFile)
    {
        try
        {
            var vm = JsonSerializer.Deserialize<QemuVm>(File.ReadAllText(recordFile), Json);
            if (vm is not null)
            {
                vm.State = IsAlive(vm) ? QemuVmState.Running : QemuVmState.Exited;
            }

            return vm;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void RemoveFiles(QemuVmPaths paths)
    {
        foreach (var file in new[] { paths.RecordFile, paths.PidFile, paths.QmpSocket, paths.ConsoleLog })
        {
            File.Delete(file);
        }
    }

    private static QemuVm With(QemuVm vm, int pid) => new()
    {
        Name = vm.Name,
        Pid = pid,
        QemuPath = vm.QemuPath,
        Arguments = vm.Arguments,
        Accelerator = vm.Accelerator,
        Nics = vm.Nics,
        NetworkNamespace = vm.NetworkNamespace,
        StateDirectory = vm.StateDirectory,
        StartTime = vm.StartTime,
        CreatedTaps = vm.CreatedTaps,
    };
}
