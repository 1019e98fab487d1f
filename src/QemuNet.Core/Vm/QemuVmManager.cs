using QemuNet.Core.Engine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Vm;

/// <summary>Starts, finds and stops the guests the module runs; their records live in the state directory.</summary>
public sealed partial class QemuVmManager
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The kind of the VM plans and the folder of their books (journals, lock), host-wide: VM names are.</summary>
    public const string Kind = "vm";

    /// <summary>The alias of a TAP the module made for a VM: "qemunet:vm:NAME".</summary>
    public const string TapAliasPrefix = "qemunet:vm:";

    private readonly IProcessRunner _runner;
    private readonly Action<string> _log;

    public QemuVmManager(IProcessRunner runner, string stateDirectory, Action<string>? log = null)
    {
        _runner = runner;
        StateDirectory = stateDirectory;
        _log = log ?? (_ => { });
    }

    public string StateDirectory { get; }

    /// <summary>Where the engine's warnings go (a plan shown to a user who cannot make it, say).</summary>
    public Action<string> Warn { get; init; } = _ => { };

    /// <summary>The user the module's TAPs belong to: the one QEMU runs as (this process's).</summary>
    public uint TapOwner { get; init; } = NativeMethods.GetEffectiveUserId();

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
        if (QemuStopper.LiveQemuPid(paths.PidFile) is { } pid)
        {
            throw new QemuNetException("VmAlreadyRunning", QemuNetErrorCategory.ResourceExists, spec.Name,
                $"A VM named '{spec.Name}' is already running (pid {pid}).",
                "Choose another -Name, or stop it first with Stop-QemuVm.");
        }

        var forwards = spec.Backends().OfType<QemuUserNet>().SelectMany(u => u.HostForward).ToList();
        await CheckForwardsAsync(spec.Name, forwards, networkNamespace, ct).ConfigureAwait(false);

        var taps = spec.Backends().OfType<QemuTapNet>().Select(t => t.IfName).OfType<string>().ToList();
        if (taps.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new QemuNetException("TapIfNameDuplicate", QemuNetErrorCategory.InvalidArgument, twice.Key,
                $"Two TAPs of the VM are both named {twice.Key}; a link name is taken once.",
                "Give each New-QemuTap its own -IfName, or leave -IfName out to get a derived one.");
        }
    }

    /// <summary>A user-mode forward's host port must not be another running VM's of the namespace, a NAT network's, or one something listens on.</summary>
    private async Task CheckForwardsAsync(string vmName, IReadOnlyList<QemuHostForward> forwards, string? networkNamespace, CancellationToken ct)
    {
        foreach (var other in List().Where(v => v.State == QemuVmState.Running && v.Name != vmName && v.NetworkNamespace == networkNamespace))
        {
            foreach (var theirs in other.Backends().OfType<QemuUserNet>().SelectMany(u => u.HostForward))
            {
                if (forwards.FirstOrDefault(theirs.ConflictsWith) is { } mine)
                {
                    throw new QemuNetException("VmHostPortInUse", QemuNetErrorCategory.ResourceExists, mine.HostPort,
                        $"Host port {mine.HostPort}/{mine.Protocol} is already forwarded by the running VM '{other.Name}' ({theirs}); QEMU would fail with \"Could not set up host forwarding rule\".",
                        $"Give the forward another host port, or stop '{other.Name}' first.");
                }
            }
        }

        if (forwards.Count > 0)
        {
            await CheckForwardsAgainstHostAsync(forwards, networkNamespace, ct).ConfigureAwait(false);
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

    /// <summary>
    /// Start-QemuVm as a plan: the VM record (journaled, so a killed start is seen), then the TAP steps of every
    /// TAP the module attaches, then QEMU. A killed earlier Start/Stop/Remove of the VM is finished or undone
    /// first. Null under -WhatIf or when a step was declined.
    /// </summary>
    public async Task<QemuVm?> StartAsync(QemuLaunchSpec spec, string qemuPath, QemuAccelerator accelerator, IReadOnlyList<string> arguments,
        string? networkNamespace, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        var host = HostFor(networkNamespace);
        QemuVm? planned = null;
        var outcome = await RunPlanAsync(host, spec.Name, whatIf, async token =>
        {
            // Again under the lock: another start of the name may have won the race since the pre-checks.
            await CheckStartAsync(spec, networkNamespace, token).ConfigureAwait(false);
            (var plan, planned) = await PlanStartAsync(host, spec, qemuPath, accelerator, arguments, token).ConfigureAwait(false);
            return plan;
        }, confirm, ct).ConfigureAwait(false);

        var paths = new QemuVmPaths(StateDirectory, spec.Name);
        if (outcome != PlanOutcome.Applied || planned is null)
        {
            return null;
        }

        planned.Pid = QemuStopper.LiveQemuPid(paths.PidFile) ?? 0;
        planned.State = planned.Pid > 0 ? QemuVmState.Running : QemuVmState.Exited;
        return planned;
    }

    /// <summary>The start plan (record, TAP steps, QEMU) as the host is now, and the record it writes.</summary>
    public async Task<(HostPlan Plan, QemuVm Vm)> PlanStartAsync(HostContext host, QemuLaunchSpec spec, string qemuPath, QemuAccelerator accelerator,
        IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var links = new Dictionary<string, LinkState?>(StringComparer.Ordinal);
        foreach (var tap in ModuleTaps(spec).Concat(spec.Backends().OfType<QemuTapNet>().Where(t => t.ModuleOpens)))
        {
            links[tap.IfName!] = await HostLinks.GetAsync(host, tap.IfName!, ct).ConfigureAwait(false);
        }

        // The bridges too: a TAP takes its bridge's MTU.
        foreach (var bridge in ModuleTaps(spec).Select(t => t.Bridge!).Distinct(StringComparer.Ordinal).Where(b => !links.ContainsKey(b)))
        {
            links[bridge] = await HostLinks.GetAsync(host, bridge, ct).ConfigureAwait(false);
        }

        return PlanStart(spec, qemuPath, accelerator, arguments, host.NetworkNamespace, links, StateStore.ReadText(new QemuVmPaths(StateDirectory, spec.Name).RecordFile));
    }

    /// <summary>
    /// The start plan, pure: from the spec, the TAP links as observed (null: absent) and the VM's earlier record
    /// text (null: none), without looking at the host.
    /// </summary>
    public (HostPlan Plan, QemuVm Vm) PlanStart(QemuLaunchSpec spec, string qemuPath, QemuAccelerator accelerator, IReadOnlyList<string> arguments,
        string? networkNamespace, IReadOnlyDictionary<string, LinkState?> links, string? earlier)
    {
        var paths = new QemuVmPaths(StateDirectory, spec.Name);
        var (taps, created) = PlanTaps(spec, links, TapOwner, networkNamespace is null ? string.Empty : $" in namespace {networkNamespace}");
        var vm = new QemuVm
        {
            Name = spec.Name,
            QemuPath = qemuPath,
            Arguments = arguments,
            Accelerator = accelerator,
            Nics = spec.Nics,
            Spec = spec,
            NetworkNamespace = networkNamespace,
            StateDirectory = StateDirectory,
            StartTime = DateTimeOffset.Now,
            CreatedTaps = created,
        };
        var record = JsonSerializer.Serialize(vm, Json);
        List<HostStep> steps =
        [
            new($"VM '{spec.Name}'", "Write the VM record",
                new HostChange(new WriteFile(paths.RecordFile, record, Summary: $"VM '{spec.Name}': {spec.Nics.Count} NIC(s), TAPs made by QemuNet: {(created.Count == 0 ? "none" : string.Join(", ", created))}"),
                    earlier is null ? new DeleteFile(paths.RecordFile) : new WriteFile(paths.RecordFile, earlier, Summary: "the earlier record"))),
            .. taps,
            new($"VM '{spec.Name}'", "Start QEMU",
                new HostChange(new StartVmProcess(spec.Name, qemuPath, arguments, paths.PidFile, HandOvers(spec, links, networkNamespace)),
                    [new StopVmProcess(spec.Name, paths.PidFile, paths.QmpSocket, Graceful: false, TimeoutSec: 0),
                     new DeleteFile(paths.PidFile), new DeleteFile(paths.QmpSocket), .. earlier is null ? new HostAction[] { new DeleteFile(paths.ConsoleLog) } : []])),
        ];
        return (new HostPlan(Kind, spec.Name, steps, record), vm);
    }

    /// <summary>
    /// The TAP steps: a missing TAP is created (owned by the user QEMU runs as, multi_queue and vnet_hdr as asked),
    /// marked with the VM's alias, attached and raised; one this VM made before is attached again; a TAP someone
    /// else made is attached (and put back as it was on rollback) but never deleted.
    /// </summary>
    private static (IReadOnlyList<HostStep> Steps, IReadOnlyList<string> Created) PlanTaps(QemuLaunchSpec spec, IReadOnlyDictionary<string, LinkState?> links,
        uint owner, string where)
    {
        var steps = new List<HostStep>();
        var created = new List<string>();
        var alias = TapAlias(spec.Name);
        foreach (var tap in ModuleTaps(spec))
        {
            var ifName = tap.IfName!;
            var bridge = tap.Bridge!;
            var link = links.GetValueOrDefault(ifName);
            if (link is null)
            {
                created.Add(ifName);
                var make = TapMaking(ifName, tap, bridge, alias, owner, links.GetValueOrDefault(bridge)?.Mtu);
                steps.Add(new HostStep(ifName, $"Create TAP {ifName} on bridge {bridge}",
                    [new HostChange(make[0], new DeleteOwnedLink(ifName, alias)), .. make.Skip(1).Select(a => new HostChange(a))]));
                continue;
            }

            if (link.Kind != "tun")
            {
                throw new QemuNetException("TapNameInUse", QemuNetErrorCategory.ResourceExists, ifName,
                    $"A link named {ifName} already exists{where} and is not a TAP ({link.Kind ?? "a plain link"}).", "Choose another -IfName.");
            }

            var ours = link.Alias == alias;
            if (!ours && link.Alias is { } other && other.StartsWith(TapAliasPrefix, StringComparison.Ordinal))
            {
                throw new QemuNetException("TapNameInUse", QemuNetErrorCategory.ResourceExists, ifName,
                    $"The TAP {ifName}{where} belongs to the VM '{other[TapAliasPrefix.Length..]}'.",
                    "Choose another -IfName, or stop and remove that VM first.");
            }

            if (ours)
            {
                created.Add(ifName);
            }

            var changes = new List<HostChange>();
            if (link.Master != bridge)
            {
                // A TAP this VM made goes with the VM anyway; someone else's is put back as it was.
                HostAction[] undo = ours ? [] : [new RunProgram("ip", link.Master is null ? ["link", "set", "dev", ifName, "nomaster"] : ["link", "set", "dev", ifName, "master", link.Master], IgnoreFailure: true)];
                changes.Add(new HostChange(new RunProgram("ip", ["link", "set", "dev", ifName, "master", bridge]), undo));
            }

            if (!link.Up)
            {
                HostAction[] undo = ours ? [] : [new RunProgram("ip", ["link", "set", "dev", ifName, "down"], IgnoreFailure: true)];
                changes.Add(new HostChange(new RunProgram("ip", ["link", "set", "dev", ifName, "up"]), undo));
            }

            if (changes.Count > 0)
            {
                steps.Add(new HostStep(ifName, ours ? $"Attach this VM's TAP {ifName} to bridge {bridge} again" : $"Attach the existing TAP {ifName} to bridge {bridge}", changes));
            }
        }

        return (steps, created);
    }

    /// <summary>
    /// Stop-QemuVm as a plan: the guest's QEMU (power button first unless <paramref name="turnOff"/>), the TAPs the
    /// module made for it, and the record marked stopped (it and the console log stay until Remove-QemuVm).
    /// Returns the VM as it is afterwards, or null under -WhatIf / when declined.
    /// </summary>
    public Task<QemuVm?> StopAsync(string name, bool turnOff, int timeoutSec, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct) =>
        ChangeAsync(name, whatIf, confirm, ct, (vm, host, token) => PlanStopAsync(vm, host, turnOff, timeoutSec, remove: false, token));

    /// <summary>Remove-QemuVm: a running VM only with <paramref name="force"/> (turned off); then its TAPs and every file of it.</summary>
    public Task<QemuVm?> RemoveAsync(string name, bool force, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct) =>
        ChangeAsync(name, whatIf, confirm, ct, (vm, host, token) =>
        {
            if (vm.State is QemuVmState.Running or QemuVmState.Orphaned && !force)
            {
                throw new QemuNetException("VmRunning", QemuNetErrorCategory.ResourceBusy, vm.Name,
                    $"VM '{vm.Name}' is running (pid {vm.Pid}); a running VM is not removed.",
                    $"Stop it first (Stop-QemuVm -Name {vm.Name}), or use -Force to turn it off and remove it.");
            }

            return PlanStopAsync(vm, host, turnOff: true, timeoutSec: 0, remove: true, token);
        });

    private async Task<QemuVm?> ChangeAsync(string name, bool whatIf, Func<HostStep, bool> confirm, CancellationToken ct,
        Func<QemuVm, HostContext, CancellationToken, Task<IReadOnlyList<HostStep>>> plan)
    {
        var known = Find(name) ?? throw NotFound(name);
        var host = HostFor(known.NetworkNamespace, missingIsGone: true);
        QemuVm? result = known;
        var outcome = await RunPlanAsync(host, name, whatIf, async token =>
        {
            // After recovery: a killed start has been undone, so there may be nothing left to stop.
            if (Find(name) is not { State: not QemuVmState.Incomplete } vm)
            {
                result = null;
                return new HostPlan(Kind, name, []);
            }

            result = vm;
            return new HostPlan(Kind, name, await plan(vm, host, token).ConfigureAwait(false));
        }, confirm, ct).ConfigureAwait(false);

        if (whatIf || outcome == PlanOutcome.Declined)
        {
            return null;
        }

        return Find(name) ?? (result is null ? known.AsGone() : result.AsGone());
    }

    private async Task<IReadOnlyList<HostStep>> PlanStopAsync(QemuVm vm, HostContext host, bool turnOff, int timeoutSec, bool remove, CancellationToken ct)
    {
        var paths = vm.Paths;
        var steps = new List<HostStep>();
        var target = $"VM '{vm.Name}'";
        if (vm.State is QemuVmState.Running or QemuVmState.Orphaned)
        {
            steps.Add(new HostStep(target, turnOff ? "Turn off the guest" : "Shut down the guest",
                new HostChange(new StopVmProcess(vm.Name, paths.PidFile, paths.QmpSocket, !turnOff, timeoutSec))));
        }

        // A TAP dies with its namespace: in a namespace that is gone there is nothing to delete.
        if (host.Id.Inode != 0 && vm.CreatedTaps.Count > 0)
        {
            var alias = TapAlias(vm.Name);
            foreach (var tap in vm.CreatedTaps)
            {
                if (await HostLinks.GetAsync(host, tap, ct).ConfigureAwait(false) is { Kind: "tun" } link && (link.Alias is null || link.Alias == alias))
                {
                    steps.Add(new HostStep(tap, $"Delete TAP {tap}", new HostChange(new DeleteOwnedLink(tap, alias))));
                }
            }
        }

        string[] leftovers = remove || vm.State == QemuVmState.Orphaned
            ? [paths.PidFile, paths.QmpSocket, paths.ConsoleLog, paths.RecordFile]
            : [paths.PidFile, paths.QmpSocket];
        var deletes = leftovers.Where(f => NativeMethods.LStat(f) is not null || (f == paths.PidFile && steps.Count > 0)).ToList();
        var changes = deletes.Select(f => new HostChange(new DeleteFile(f))).ToList();
        if (!remove && vm.State != QemuVmState.Orphaned && vm.StopTime is null)
        {
            // Captures and a pulled cable lived in QEMU: they end with it.
            var stopped = vm with { StopTime = DateTimeOffset.Now, Captures = [], LinkDown = [] };
            changes.Add(new HostChange(new WriteFile(paths.RecordFile, JsonSerializer.Serialize(stopped, Json), Summary: "stopped at " + stopped.StopTime!.Value.ToString("u", CultureInfo.InvariantCulture))));
        }

        if (changes.Count > 0)
        {
            steps.Add(new HostStep(target, remove ? "Delete the VM's record, console log and runtime files" : "Record the VM as stopped (its record and console log stay)", changes));
        }

        return steps;
    }

    private async Task<PlanOutcome> RunPlanAsync(HostContext host, string name, bool whatIf, Func<CancellationToken, Task<HostPlan>> plan,
        Func<HostStep, bool> confirm, CancellationToken ct)
    {
        // -WhatIf creates nothing, not even the books' folder.
        var folder = whatIf ? Path.Combine(StateDirectory, Kind) : Engine.StateStore.Open(StateDirectory).Folder(Kind, null);
        // A lock per VM (its journal is per VM too): a stop waiting for a guest to power off, or a plan hung in one
        // namespace, holds up no other VM. What two VMs could clash on (a host port, a TAP name) the kernel refuses.
        var lockFile = whatIf ? null : Path.Combine(LockFolder(folder, name), ".lock");
        try
        {
            return await new PlanRunner(host, folder, lockFile).RunAsync(name, plan, confirm, whatIf, ct).ConfigureAwait(false);
        }
        catch (QemuNetException ex) when (ex.ErrorId == "HostStepFailed" && ex.InnerException is QemuNetException { ErrorId: "QemuStartFailed" or "QemuPidFileMissing" or "VmStopFailed" or "QmpCommandFailed" or "QmpIdDuplicate"
                       or "QmpObjectNotFound" or "QmpUnreachable" or "VmHostPortInUse" or "VmNicNotHotpluggable" or "VmNicUnplugTimeout" } inner)
        {
            // QEMU's own message matters more than the step's; the rollback has already run.
            throw new QemuNetException(inner.ErrorId, inner.Category, inner.Target, inner.Message + " What the command had changed was taken back.",
                inner.RecommendedAction, ex);
        }
    }

    /// <summary>The folder of one VM's lock (kept apart from the records, which Get-QemuVm reads by pattern).</summary>
    private static string LockFolder(string folder, string name)
    {
        var locks = Path.Combine(folder, "locks", name);
        Directory.CreateDirectory(locks, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return locks;
    }

    /// <summary>The host side of a VM's namespace; for a namespace that is gone (its TAPs went with it), a stand-in with inode 0.</summary>
    private HostContext HostFor(string? networkNamespace, bool missingIsGone = false)
    {
        try
        {
            return new HostContext(_runner, networkNamespace) { Log = _log, Warn = Warn };
        }
        catch (QemuNetException ex) when (missingIsGone && ex.ErrorId == "NetworkNamespaceNotFound")
        {
            // Programs then fail harmlessly under `ip netns exec`; nothing ever runs in the wrong namespace.
            return new HostContext(_runner, new NetworkNamespaceId(0, 0, networkNamespace), networkNamespace) { Log = _log, Warn = Warn };
        }
    }

    public static string TapAlias(string vm) => TapAliasPrefix + vm;

    /// <summary>The TAPs the module opens and hands to QEMU (-Fd with -Bridge); a link of that name must not exist yet.</summary>
    private static IReadOnlyList<TapHandOver> HandOvers(QemuLaunchSpec spec, IReadOnlyDictionary<string, LinkState?> links, string? networkNamespace)
    {
        var handOvers = new List<TapHandOver>();
        foreach (var tap in spec.Backends().OfType<QemuTapNet>().Where(t => t.ModuleOpens))
        {
            if (links.GetValueOrDefault(tap.IfName!) is not null)
            {
                throw new QemuNetException("TapNameInUse", QemuNetErrorCategory.ResourceExists, tap.IfName,
                    $"A link named {tap.IfName} already exists{(networkNamespace is null ? string.Empty : $" in namespace {networkNamespace}")}; a TAP handed over by descriptor is made new.",
                    "Choose another -IfName, or leave it out for a derived one.");
            }

            handOvers.Add(new TapHandOver(tap.IfName!, tap.Bridge!, tap.Queues ?? 1, tap.VnetHdr ?? true, tap.Fd!.Value, tap.Vhost == QemuVhostMode.On));
        }

        return handOvers;
    }

    /// <summary>The TAPs the module makes and attaches itself (not those of QEMU, a script or the helper).</summary>
    private static IEnumerable<QemuTapNet> ModuleTaps(QemuLaunchSpec spec) => spec.Backends().OfType<QemuTapNet>().Where(t => t.ModuleAttaches);

    public static QemuNetException NotFound(string name) =>
        new("VmNotFound", QemuNetErrorCategory.ObjectNotFound, name, $"No VM named '{name}' was started by QemuNet.", "List the VMs with Get-QemuVm.");

    /// <summary>
    /// Writes the VM's record again (atomically), with what was learnt since the start, such as the addresses
    /// -WaitForLease found; only while the record is still this run's (same start time).
    /// </summary>
    public void Save(QemuVm vm)
    {
        if (TryLoad(vm.Paths.RecordFile) is { } current && current.StartTime == vm.StartTime)
        {
            StateStore.WriteAtomic(vm.Paths.RecordFile, JsonSerializer.Serialize(vm, Json));
        }
    }

    /// <summary>
    /// For a running VM without recorded addresses: the DHCP leases its NICs on QemuNet NAT networks got since it
    /// started (read from the networks' lease files; nothing is written).
    /// </summary>
    public void FillLeasedAddresses(QemuVm vm)
    {
        var bridges = vm.Nics.Select(n => (n.MacAddress, (n.Backend as QemuTapNet)?.Bridge)).Where(n => n.Bridge is not null && n.MacAddress is not null).ToList();
        if (vm.State != QemuVmState.Running || vm.IPAddress.Count > 0 || bridges.Count == 0 || Engine.StateStore.OpenExisting(StateDirectory) is not { } store)
        {
            return;
        }

        HostContext host;
        try
        {
            host = new HostContext(_runner, vm.NetworkNamespace);
        }
        catch (QemuNetException)
        {
            return;
        }

        var nat = new Nat.NatManager(host, store);
        var networks = nat.ListRecords().Networks;
        vm.IPAddress = bridges
            .Select(b => networks.FirstOrDefault(n => n.BridgeName == b.Bridge && n.Dhcp) is { } net ? nat.LeasedAddress(net, b.MacAddress!) : null)
            .OfType<string>()
            .ToArray();
    }

    /// <summary>One VM by name (record, orphan QEMU, or a start only its journal knows), or null.</summary>
    public QemuVm? Find(string name) => List().FirstOrDefault(v => v.Name == name);

    /// <summary>Every VM of the state directory, as it stands; reading changes nothing on the host.</summary>
    public IReadOnlyList<QemuVm> List()
    {
        if (!Directory.Exists(StateDirectory))
        {
            return [];
        }

        var recorded = Directory.EnumerateFiles(StateDirectory, "*.vm.json").Select(TryLoad).OfType<QemuVm>().ToList();
        var names = recorded.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var orphans = FindOrphans(names).ToList();
        names.UnionWith(orphans.Select(o => o.Name));
        var all = recorded.Concat(orphans).Concat(FindJournalOnly(names)).ToList();
        foreach (var vm in all)
        {
            MarkInterrupted(vm);
        }

        return all.OrderBy(vm => vm.Name, StringComparer.Ordinal).ToArray();
    }

    /// <summary>A VM whose last Start/Stop/Remove was killed half-way is Incomplete, with what its journal says.</summary>
    private void MarkInterrupted(QemuVm vm)
    {
        var journal = new Journal(Path.Combine(StateDirectory, Kind, vm.Name + ".journal"));
        if (!journal.Exists)
        {
            return;
        }

        try
        {
            var entries = journal.Read();
            if (!Journal.IsFinished(entries))
            {
                vm.State = QemuVmState.Incomplete;
                vm.Problem = Journal.DescribeInterruption(entries);
            }
        }
        catch (QemuNetException ex)
        {
            vm.State = QemuVmState.Incomplete;
            vm.Problem = ex.Message;
        }
    }

    /// <summary>Starts killed before their record was written: only the journal's begin line knows them.</summary>
    private IEnumerable<QemuVm> FindJournalOnly(HashSet<string> known)
    {
        var folder = Path.Combine(StateDirectory, Kind);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*.journal"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (known.Contains(name))
            {
                continue;
            }

            QemuVm? vm = null;
            try
            {
                if (Journal.Begin(new Journal(file).Read()) is { Subject: { } subject })
                {
                    vm = JsonSerializer.Deserialize<QemuVm>(subject, Json);
                }
            }
            catch (Exception ex) when (ex is QemuNetException or JsonException or IOException)
            {
            }

            yield return vm ?? new QemuVm { Name = name, QemuPath = string.Empty, Arguments = [], StateDirectory = StateDirectory };
        }
    }

    /// <summary>
    /// QEMU processes that run with a VM's pid file of this state directory but have no record: listed so they
    /// can be seen and stopped, never started over.
    /// </summary>
    private IEnumerable<QemuVm> FindOrphans(HashSet<string> recorded)
    {
        foreach (var pidFile in Directory.EnumerateFiles(StateDirectory, "*.pid"))
        {
            var name = Path.GetFileNameWithoutExtension(pidFile);
            if (recorded.Contains(name) || QemuStopper.LiveQemuPid(pidFile) is not { } pid || ProcessProbe.LiveCommandLine(pid) is not { Count: > 0 } argv)
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

    /// <summary>
    /// Alive means the VM's pid file names this very pid and it is a live QEMU of that pid file
    /// (<see cref="QemuStopper.LiveQemuPid"/>), so a recycled pid is never mistaken for the guest (nor signalled).
    /// </summary>
    public static bool IsAlive(QemuVm vm) => vm.Pid > 0 && QemuStopper.LiveQemuPid(vm.Paths.PidFile) == vm.Pid;

    private static QemuVm? TryLoad(string recordFile)
    {
        try
        {
            var vm = JsonSerializer.Deserialize<QemuVm>(File.ReadAllText(recordFile), Json);
            if (vm is not null)
            {
                vm.Pid = QemuStopper.LiveQemuPid(vm.Paths.PidFile) ?? 0;
                vm.State = vm.Pid > 0 ? QemuVmState.Running : vm.StopTime is null ? QemuVmState.Exited : QemuVmState.Off;
            }

            return vm;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

}
