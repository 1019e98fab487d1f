using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Starts a guest with the NICs (or backends) from the pipeline; -WhatIf shows the exact QEMU argument list.</summary>
[Cmdlet(VerbsLifecycle.Start, "QemuVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuVm))]
public sealed class StartQemuVmCommand : QemuCmdlet
{
    private const long OneMiB = 1024 * 1024;
    private readonly List<QemuNic> _nics = [];

    [Parameter(ValueFromPipeline = true)]
    public QemuNic[]? Nic { get; set; }

    /// <summary>A backend piped on its own gets a NIC of the default model.</summary>
    [Parameter(ValueFromPipeline = true)]
    public QemuNetBackend[]? Backend { get; set; }

    /// <summary>A NAT network (an object, or its name) given on its own gets a NIC of the default model with a TAP on its bridge.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    public QemuNatNetworkArgument[]? Network { get; set; }

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

    /// <summary>Run QEMU inside this network namespace (ip netns exec).</summary>
    [Parameter]
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
        _nics.AddRange((Network ?? []).Select(a => ResolveNetwork(a, NetworkNamespace))
            .Select(n => new QemuNic { Backend = QemuTapNet.ForBridge(n.BridgeName, n.NetworkNamespace) }));
    }

    protected override void EndProcessing()
    {
        var name = Name ?? "vm-" + Guid.NewGuid().ToString("n")[..8];
        var spec = Invoke(() => QemuLaunchPlanner.Resolve(new QemuLaunchSpec
        {
            Name = name,
            MemoryMiB = (int)Math.Min(int.MaxValue, Memory >= OneMiB ? Memory / OneMiB : Memory),
            CpuCount = CpuCount,
            Disk = (Disk ?? []).Select(d => ExistingFile(d, "Disk")).ToArray(),
            Kernel = Kernel is null ? null : ExistingFile(Kernel, "Kernel"),
            Initrd = Initrd is null ? null : ExistingFile(Initrd, "Initrd"),
            Append = Append,
            Accelerator = Accelerator,
            NoNetwork = NoNetwork,
            Nics = _nics,
        }));
        Invoke(() => { QemuLaunchChecks.CheckKernel(spec); return 0; });
        var netns = Invoke(() => QemuLaunchChecks.ResolveNamespace(spec, NetworkNamespace));

        var qemu = Invoke(() => QemuBinary.Resolve(QemuPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath)));
        var supported = Run(ct => QemuBinary.GetNicModelsAsync(Runner, qemu, ct));
        Invoke(() => { QemuLaunchChecks.CheckModels(spec, supported, qemu); return 0; });

        var notes = new List<string>();
        spec = Run(ct => TapPreflight.CheckAsync(spec, new HostContext(Runner, netns), BridgeAcl.DefaultPath,
            launching: !IsWhatIf, notes, ct));
        notes.ForEach(WriteVerbose);
        var accelerator = Invoke(() => QemuVmManager.ResolveAccelerator(Accelerator));
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve());
        var paths = new QemuVmPaths(manager.StateDirectory, spec.Name);
        Invoke(() => { QemuLaunchChecks.CheckPaths(paths); return 0; });
        Run(async ct => { await manager.CheckStartAsync(spec, netns, ct).ConfigureAwait(false); return 0; });
        var arguments = QemuArgvRenderer.Render(spec, accelerator, paths);
        var waiter = WaitForConsole is not null || WaitForLease
            ? Invoke(() => ReadinessWaiter.Create(spec, WaitForConsole, WaitForLease ? new NatManager(new HostContext(Runner, netns), StateDirectory.Open()) : null))
            : null;
        var (fileName, argv) = HostContext.Wrap(netns, qemu, arguments);
        var commandLine = CommandLine.Format(fileName, argv);
        // -WhatIf shows the command line here; in a real start -Verbose shows it once, as the process runner runs it.
        if (!ShouldProcess(IsWhatIf ? $"Start VM '{spec.Name}': {commandLine}" : $"Start VM '{spec.Name}'", $"Start VM '{spec.Name}' with: {commandLine}", "Start-QemuVm"))
        {
            return;
        }

        var vm = Run(ct => manager.StartAsync(spec, qemu, accelerator, arguments, netns, ct));
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
            manager.StopAsync(vm, TimeSpan.FromSeconds(3), CancellationToken.None).GetAwaiter().GetResult();
            throw;
        }

        // The guest is gone: its TAPs go now; the record and console log stay for Get-QemuVm until Stop-QemuVm.
        manager.DeleteCreatedTapsAsync(vm).GetAwaiter().GetResult();
        FlushVerbose();

        if (PassThru)
        {
            WriteObject(vm);
        }
    }

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
            manager.StopAsync(vm, TimeSpan.FromSeconds(3), CancellationToken.None).GetAwaiter().GetResult();
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
