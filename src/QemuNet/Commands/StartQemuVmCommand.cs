using QemuNet.Core;
using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Starts a guest with the NICs (or backends) from the pipeline, or a stopped VM again from its record (-Name alone);
/// -WhatIf shows every step: the record, the TAPs and the exact QEMU argument list.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "QemuVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuVm))]
public sealed class StartQemuVmCommand : QemuCmdlet
{
    private const long OneMiB = 1024 * 1024;
    private readonly List<QemuNic> _nics = [];
    private QemuLaunchSpec? _given;

    [Parameter]
    public QemuNic[]? Nic { get; set; }

    /// <summary>A backend given on its own gets a NIC of the default model.</summary>
    [Parameter]
    public QemuNetBackend[]? Backend { get; set; }

    /// <summary>Backends on a hub (-Hub) with no NIC of their own; the hub's NICs hear them too.</summary>
    [Parameter]
    public QemuNetBackend[]? HubBackend { get; set; }

    /// <summary>A NAT network (an object, or its name) given on its own gets a NIC of the default model with a TAP on its bridge.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    public QemuNatNetworkArgument[]? Network { get; set; }

    /// <summary>
    /// Everything piped in: NICs, backends, networks and their names. It is the only pipeline parameter: PowerShell
    /// would bind a NIC to -Nic and to a catch-all alike, and tells a cmdlet nothing of input that binds nowhere. So a
    /// NIC, backend or network saved and loaded again (Import-Clixml, ConvertFrom-Json, Import-Csv, remoting), which
    /// has lost its type, is rebuilt here, and anything else stops the start before a guest boots on the wrong network.
    /// </summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>MiB, or bytes when written with a PowerShell size suffix (512MB, 1GB).</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Memory { get; set; } = 256;

    [Parameter]
    [Alias("Smp")]
    public int CpuCount { get; set; } = 1;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Disk { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kernel { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Initrd { get; set; }

    [Parameter]
    public string? Append { get; set; }

    [Parameter]
    public QemuAccelerator Accelerator { get; set; } = QemuAccelerator.Auto;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? QemuPath { get; set; }

    /// <summary>No NIC at all (QEMU's -nic none), instead of the default user-mode NIC.</summary>
    [Parameter]
    public SwitchParameter NoNetwork { get; set; }

    /// <summary>The user QEMU becomes once set up (QEMU's -runas, or -run-with user= from 9.1); needs root.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RunAs { get; set; }

    /// <summary>Run QEMU inside this network namespace (ip netns exec).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? NetworkNamespace { get; set; }

    /// <summary>Return only when the guest's QEMU has exited; Ctrl+C stops the guest.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Return once the guest's serial console prints a line matching this regular expression (e.g. 'login:').</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WaitForConsole { get; set; }

    /// <summary>Return once every NIC on a NAT network has a DHCP lease; the addresses go to the VM's IPAddress.</summary>
    [Parameter]
    public SwitchParameter WaitForLease { get; set; }

    /// <summary>How long -WaitForConsole and -WaitForLease wait before giving up (the guest keeps running).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 120;

    /// <summary>With -Wait, write the VM object once it has exited (without -Wait it is always written).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        _nics.AddRange(Nic ?? []);
        _nics.AddRange((Backend ?? []).Select(b => new QemuNic { Backend = b }));
        _nics.AddRange((Network ?? []).Select(a => ResolveNetwork(a, NetworkNamespace)).Select(NicOn));
        if (InputObject?.BaseObject is QemuLaunchSpec given)
        {
            // A whole spec (ConvertFrom-QemuCommandLine's): the parameters given here take precedence over it.
            if (_given is not null)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Start-QemuVm starts one guest, and two launch specs were piped to it. No guest was started."),
                    "VmSpecTwice", ErrorCategory.InvalidArgument, given));
            }

            _given = given;
            InputObject = null;
        }
        else if (InputObject is not null)
        {
            _nics.Add(NicFrom(InputObject));
            InputObject = null;
        }
    }

    private static QemuNic NicOn(QemuNatNetwork network) => new() { Backend = QemuTapNet.ForBridge(network.BridgeName, network.NetworkNamespace) };

    /// <summary>The NIC a piped object stands for: the object itself, or one rebuilt from its saved properties.</summary>
    private QemuNic NicFrom(PSObject input)
    {
        switch (input.BaseObject)
        {
            case QemuNic nic:
                return nic;
            case QemuNetBackend backend:
                return new QemuNic { Backend = backend };
            case QemuNatNetwork network:
                return NicOn(ResolveNetwork(new QemuNatNetworkArgument(network), NetworkNamespace));
            case string name:
                return NicOn(ResolveNetwork(new QemuNatNetworkArgument(name), NetworkNamespace));
        }

        // A row with nothing in it is what Export-Csv makes of an object of another kind than the first one.
        var kind = SavedObject.IsBag(input) && !SavedObject.IsEmpty(input) ? SavedSpec.KindOf(SavedObject.Names(input)) : null;
        if (kind is null)
        {
            var type = input.TypeNames.FirstOrDefault() ?? input.BaseObject.GetType().FullName;
            var message = $"Start-QemuVm cannot use the piped {type} '{input}': it is not a NIC, a backend or a NAT network (nor one saved and loaded again). No guest was started.";
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(message), "VmInputNotBound", ErrorCategory.InvalidArgument, input)
            {
                ErrorDetails = new ErrorDetails(message)
                {
                    RecommendedAction = "Pipe objects from New-QemuNic, New-QemuUserNet, New-QemuTap or Get-QemuNat (or their saved forms), or a NAT network's name.",
                },
            });
        }

        var bag = SavedObject.Bag(input);
        if (kind == typeof(QemuNatNetwork))
        {
            // A saved network is a snapshot; the network itself is the one of that name on the host now.
            var name = (string)bag("Name")!;
            return NicOn(ResolveNetwork(new QemuNatNetworkArgument(name), bag("NetworkNamespace") as string is { Length: > 0 } ns ? ns : NetworkNamespace));
        }

        // The model is checked against the installed QEMU with the others below (CheckModels).
        return kind == typeof(QemuNetBackend)
            ? new QemuNic { Backend = Invoke(() => SavedSpec.Backend(bag)) }
            : Invoke(() => SavedSpec.Nic(bag, [.. QemuNicModels.KnownDevices, QemuNicModels.ToDevice(bag("Model") as string is { Length: > 0 } m ? m : QemuNicModels.DefaultModel)]));
    }

    protected override void EndProcessing()
    {
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve(), QueueVerbose) { Warn = QueueWarning };
        var name = Name ?? _given?.Name ?? "vm-" + Guid.NewGuid().ToString("n")[..8];
        var earlier = Name is null || GivesSpec() ? null : manager.Find(Name);
        QemuLaunchSpec spec;
        string qemu;
        string? netns;
        if (earlier is not null)
        {
            // Start-QemuVm -Name x of a known VM, with no new spec: start it again as it was recorded.
            Run(async ct => { await manager.CheckStartAsync(new QemuLaunchSpec { Name = earlier.Name }, null, ct).ConfigureAwait(false); return 0; });
            spec = earlier.Spec ?? Invoke<QemuLaunchSpec>(() => throw new QemuNetException("VmSpecMissing", QemuNetErrorCategory.InvalidData, earlier.Name,
                $"The record of VM '{earlier.Name}' holds no launch spec to start it again from.",
                $"Start it with a full spec (NICs, -Kernel or -Disk…), or Remove-QemuVm -Name {earlier.Name} first."));
            qemu = earlier.QemuPath;
            netns = earlier.NetworkNamespace;
            Invoke(() => { QemuLaunchChecks.CheckKernel(spec); return 0; });
        }
        else
        {
            var given = _given ?? new QemuLaunchSpec();
            bool Bound(string parameter) => _given is null || MyInvocation.BoundParameters.ContainsKey(parameter);
            var kernel = Bound(nameof(Kernel)) ? Kernel : given.Kernel;
            var initrd = Bound(nameof(Initrd)) ? Initrd : given.Initrd;
            spec = Invoke(() => QemuLaunchPlanner.Resolve(given with
            {
                Name = name,
                MemoryMiB = Bound(nameof(Memory)) ? (int)Math.Min(int.MaxValue, Memory >= OneMiB ? Memory / OneMiB : Memory) : given.MemoryMiB,
                CpuCount = Bound(nameof(CpuCount)) ? CpuCount : given.CpuCount,
                Disk = (Bound(nameof(Disk)) ? Disk ?? [] : given.Disk).Select(d => ExistingFile(d, "Disk")).ToArray(),
                Kernel = kernel is null ? null : ExistingFile(kernel, "Kernel"),
                Initrd = initrd is null ? null : ExistingFile(initrd, "Initrd"),
                Append = Bound(nameof(Append)) ? Append : given.Append,
                Accelerator = Bound(nameof(Accelerator)) ? Accelerator : given.Accelerator,
                NoNetwork = NoNetwork || given.NoNetwork,
                RunAs = Bound(nameof(RunAs)) ? RunAs : given.RunAs,
                Nics = [.. given.Nics, .. _nics],
                HubBackends = [.. given.HubBackends, .. HubBackend ?? []],
            }));
            Invoke(() => { QemuLaunchChecks.CheckKernel(spec); return 0; });
            netns = Invoke(() => QemuLaunchChecks.ResolveNamespace(spec, NetworkNamespace));
            qemu = Invoke(() => QemuBinary.Resolve(QemuPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath)));
        }

        Invoke(() => { QemuLaunchChecks.CheckRunAs(spec); return 0; });
        var capabilities = Run(ct => QemuCapabilities.ProbeAsync(Runner, qemu, ct));
        var supported = capabilities.NicModels;
        Invoke(() => { QemuLaunchChecks.CheckModels(spec, supported, qemu); return 0; });
        if (spec.RunAs is not null && capabilities.RunAsOption == QemuRunAsOption.None)
        {
            Invoke<int>(() => throw new QemuNetException("VmRunAsNotSupported", QemuNetErrorCategory.NotInstalled, qemu,
                $"{qemu} ({capabilities.VersionText}) has neither -runas nor -run-with, so it cannot drop to user '{spec.RunAs}'.",
                "Leave -RunAs out, or give -QemuPath a QEMU that has -runas (before 9.1) or -run-with (9.1 on)."));
        }

        foreach (var warning in QemuLaunchChecks.QueueWarnings(spec.Nics, spec.CpuCount))
        {
            WriteWarning(warning);
        }

        var notes = new List<string>();
        spec = Run(ct => TapPreflight.CheckAsync(spec, new HostContext(Runner, netns), BridgeAcl.DefaultPath,
            launching: !IsWhatIf, notes, ct));
        notes.ForEach(WriteVerbose);
        var accelerator = Invoke(() => QemuVmManager.ResolveAccelerator(spec.Accelerator));
        var paths = new QemuVmPaths(manager.StateDirectory, spec.Name);
        Invoke(() => { QemuLaunchChecks.CheckPaths(paths); return 0; });
        Run(async ct => { await manager.CheckStartAsync(spec, netns, ct).ConfigureAwait(false); return 0; });
        var arguments = QemuArgvRenderer.Render(spec, accelerator, paths, runWith: capabilities.RunAsOption == QemuRunAsOption.RunWith);
        var waiter = WaitForConsole is not null || WaitForLease
            ? Invoke(() => ReadinessWaiter.Create(spec, WaitForConsole, WaitForLease ? new NatManager(new HostContext(Runner, netns), StateDirectory.Open()) : null))
            : null;

        // Every step (record, TAPs, QEMU with its exact argv) goes through ShouldProcess: -WhatIf lists them all.
        var vm = Run(ct => manager.StartAsync(spec, qemu, accelerator, arguments, netns, ConfirmStep, IsWhatIf, ct));
        FlushMessages();
        if (vm is null)
        {
            return;
        }

        if (waiter is not null)
        {
            WaitUntilReady(manager, vm, waiter);
            if (vm.IPAddress.Count > 0)
            {
                // Get-QemuVm shows the addresses too, not only the object returned here.
                manager.Save(vm);
            }
        }

        if (!Wait)
        {
            WriteObject(vm);
            return;
        }

        try
        {
            Run(async ct => { await QemuVmManager.WaitForExitAsync(vm, ct).ConfigureAwait(false); return 0; });
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C during -Wait stops the guest, as it would a foreground QEMU.
            TurnOff(manager, vm);
            throw;
        }

        // The guest is gone: its TAPs go now; the record and console log stay for Get-QemuVm until Remove-QemuVm.
        vm = Run(ct => manager.StopAsync(vm.Name, turnOff: true, timeoutSec: 1, _ => true, whatIf: false, ct)) ?? vm;
        FlushMessages();
        if (PassThru)
        {
            WriteObject(vm);
        }
    }

    /// <summary>True when anything that makes up a launch spec was given (then it is a new start, not a restart).</summary>
    private bool GivesSpec() =>
        _nics.Count > 0 || _given is not null || MyInvocation.BoundParameters.Keys.Any(k => k is nameof(Memory) or nameof(CpuCount) or nameof(Disk) or nameof(Kernel)
            or nameof(Initrd) or nameof(Append) or nameof(Accelerator) or nameof(QemuPath) or nameof(NoNetwork) or nameof(NetworkNamespace) or nameof(HubBackend) or nameof(RunAs));

    /// <summary>Ctrl+C: the guest is turned off (its TAPs removed) however the start is stopped.</summary>
    private void TurnOff(QemuVmManager manager, QemuVm vm) =>
        manager.StopAsync(vm.Name, turnOff: true, timeoutSec: 1, _ => true, whatIf: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Waits (with Write-Progress) until the guest is ready; a timeout is a non-terminating error (the guest keeps
    /// running); Ctrl+C abandons the start, so the guest is stopped.
    /// </summary>
    private void WaitUntilReady(QemuVmManager manager, QemuVm vm, ReadinessWaiter waiter)
    {
        var progress = new ProgressRecord(1, $"Starting VM '{vm.Name}'", "Waiting") { PercentComplete = 0 };
        try
        {
            var failure = Run(ct => waiter.WaitAsync(vm, TimeSpan.FromSeconds(TimeoutSec), p => OnPipelineThread(() =>
            {
                progress.StatusDescription = p.Status;
                progress.SecondsRemaining = (int)Math.Max(0, (p.Timeout - p.Elapsed).TotalSeconds);
                progress.PercentComplete = (int)Math.Min(99, p.Elapsed.TotalSeconds * 100 / p.Timeout.TotalSeconds);
                WriteProgress(progress);
                return 0;
            }), ct));
            if (failure is not null)
            {
                WriteError(ToErrorRecord(failure));
            }
        }
        catch (PipelineStoppedException)
        {
            TurnOff(manager, vm);
            throw;
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }

    private string ExistingFile(string path, string parameter) =>
        Invoke(() => QemuLaunchChecks.ExistingFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path), path, parameter,
            SessionState.Path.CurrentFileSystemLocation.ProviderPath));
}
