using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Bridge;
using QemuNet.Core.Host;
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

    /// <summary>A NAT network piped on its own gets a NIC of the default model with a TAP on its bridge.</summary>
    [Parameter(ValueFromPipeline = true)]
    public QemuNatNetwork[]? Network { get; set; }

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

    /// <summary>With -Wait, write the VM object once it has exited (without -Wait it is always written).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        _nics.AddRange(Nic ?? []);
        _nics.AddRange((Backend ?? []).Select(b => new QemuNic { Backend = b }));
        _nics.AddRange((Network ?? []).Select(n => new QemuNic { Backend = QemuTapNet.ForBridge(n.BridgeName, n.NetworkNamespace) }));
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
        if (spec.Initrd is not null && spec.Kernel is null || spec.Append is not null && spec.Kernel is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Initrd and -Append need -Kernel."),
                "VmKernelMissing", ErrorCategory.InvalidArgument, spec.Initrd ?? spec.Append));
        }

        // A TAP must be made where its bridge is: QEMU runs in the NAT network's namespace.
        var tapNamespaces = spec.Nics.Select(n => n.Backend).OfType<QemuTapNet>().Select(t => t.NetworkNamespace).OfType<string>().Distinct().ToList();
        if (tapNamespaces.Count > 1 || (tapNamespaces.Count == 1 && NetworkNamespace is not null && tapNamespaces[0] != NetworkNamespace))
        {
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("VmNamespaceConflict", QemuNetErrorCategory.InvalidArgument, NetworkNamespace,
                "The NICs' bridges live in different network namespaces (or not in -NetworkNamespace); one QEMU runs in one namespace.")));
        }

        var netns = NetworkNamespace ?? tapNamespaces.FirstOrDefault();
        if (netns is not null)
        {
            Invoke(() => { QemuVmManager.CheckNetworkNamespace(netns); return 0; });
        }

        var qemu = Invoke(() => QemuBinary.Resolve(QemuPath));
        var supported = Run(ct => QemuBinary.GetNicModelsAsync(Runner, qemu, ct));
        foreach (var nic in spec.Nics.Where(n => !supported.Any(m => m.Device == n.Device)))
        {
            ThrowTerminatingError(QemuCmdlet.ToErrorRecord(new QemuNetException("NicModelUnsupported", QemuNetErrorCategory.InvalidArgument,
                nic.Model, $"{qemu} does not emulate the NIC model '{nic.Model}'.", "Run Get-QemuNicModel to see the models it has.")));
        }

        var notes = new List<string>();
        spec = Run(ct => TapPreflight.CheckAsync(spec, new HostContext(Runner, netns), BridgeAcl.DefaultPath, notes, ct));
        notes.ForEach(WriteVerbose);
        var accelerator = Invoke(() => QemuVmManager.ResolveAccelerator(Accelerator));
        var manager = new QemuVmManager(Runner, QemuStateDirectory.Resolve());
        var arguments = QemuArgvRenderer.Render(spec, accelerator, new QemuVmPaths(manager.StateDirectory, spec.Name));
        var (fileName, argv) = QemuVmManager.Command(qemu, arguments, netns);
        var commandLine = CommandLine.Format(fileName, argv);
        if (!ShouldProcess($"Start VM '{spec.Name}': {commandLine}", $"Start VM '{spec.Name}' with: {commandLine}", "Start-QemuVm"))
        {
            return;
        }

        var vm = Run(ct => manager.StartAsync(spec, qemu, accelerator, arguments, netns, ct));
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

        manager.CleanUpAsync(vm).GetAwaiter().GetResult();

        if (PassThru)
        {
            WriteObject(vm);
        }
    }

    private string ExistingFile(string path, string parameter)
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full))
        {
            throw new QemuNetException("VmFileNotFound", QemuNetErrorCategory.ObjectNotFound, path,
                $"The -{parameter} file '{full}' does not exist.");
        }

        return full;
    }
}
