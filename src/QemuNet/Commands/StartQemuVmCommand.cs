using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
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
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("VmKernelMissing", QemuNetErrorCategory.InvalidArgument, spec.Initrd ?? spec.Append,
                "-Initrd and -Append need -Kernel (QEMU boots them only with a kernel given directly).", "Add -Kernel with the path of a kernel image, or leave out -Initrd and -Append.")));
        }

        // A TAP must be made where its bridge is: QEMU runs in the NAT network's namespace.
        var tapNamespaces = spec.Nics.Select(n => n.Backend).OfType<QemuTapNet>().Select(t => t.NetworkNamespace).OfType<string>().Distinct().ToList();
        if (tapNamespaces.Count > 1 || (tapNamespaces.Count == 1 && NetworkNamespace is not null && tapNamespaces[0] != NetworkNamespace))
        {
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("VmNamespaceConflict", QemuNetErrorCategory.InvalidArgument, NetworkNamespace,
                "The NICs' bridges live in different network namespaces (or not in -NetworkNamespace); one QEMU runs in one namespace.",
                "Put all of the VM's NICs on networks of one namespace, and give that namespace (or none) as -NetworkNamespace.")));
        }

        var netns = NetworkNamespace ?? tapNamespaces.FirstOrDefault();
        if (netns is not null)
        {
            Invoke(() => { QemuVmManager.CheckNetworkNamespace(netns); return 0; });
        }

        var qemu = Invoke(() => QemuBinary.Resolve(QemuPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath)));
        var supported = Run(ct => QemuBinary.GetNicModelsAsync(Runner, qemu, ct));
        foreach (var nic in spec.Nics.Where(n => !supported.Any(m => m.Device == n.Device)))
        {
            ThrowTerminatingError(QemuCmdlet.ToErrorRecord(new QemuNetException("NicModelUnsupported", QemuNetErrorCategory.InvalidArgument,
                nic.Model, $"{qemu} does not emulate the NIC model '{nic.Model}'.", "Run Get-QemuNicModel to see the models it has.")));
        }

        var notes = new List<string>();
        spec = Run(ct => TapPreflight.CheckAsync(spec, new HostContext(Runner, netns), BridgeAcl.DefaultPath,
            launching: !IsWhatIf, notes, ct));
        notes.ForEach(WriteVerbose);
        var accelerator = Invoke(() => QemuVmManager.ResolveAccelerator(Accelerator));
        var manager = new QemuVmManager(Runner, StateDirectory.Resolve());
        var arguments = QemuArgvRenderer.Render(spec, accelerator, new QemuVmPaths(manager.StateDirectory, spec.Name));
        System.Text.RegularExpressions.Regex? consolePattern = null;
        if (WaitForConsole is not null)
        {
            try
            {
                consolePattern = new System.Text.RegularExpressions.Regex(WaitForConsole, System.Text.RegularExpressions.RegexOptions.Multiline);
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "VmWaitPatternInvalid", ErrorCategory.InvalidArgument, WaitForConsole)
                {
                    ErrorDetails = new ErrorDetails($"-WaitForConsole '{WaitForConsole}' is not a valid regular expression: {ex.Message}")
                    {
                        RecommendedAction = "Escape regex characters, e.g. with [regex]::Escape('text').",
                    },
                });
            }
        }

        var leaseNics = WaitForLease ? LeaseSources(spec, netns) : [];
        var (fileName, argv) = HostContext.Wrap(netns, qemu, arguments);
        var commandLine = CommandLine.Format(fileName, argv);
        if (!ShouldProcess($"Start VM '{spec.Name}': {commandLine}", $"Start VM '{spec.Name}' with: {commandLine}", "Start-QemuVm"))
        {
            return;
        }

        var vm = Run(ct => manager.StartAsync(spec, qemu, accelerator, arguments, netns, ct));
        if (consolePattern is not null || WaitForLease)
        {
            WaitUntilReady(manager, vm, consolePattern, leaseNics);
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

    /// <summary>For each NIC on a NAT network: its MAC and the network (whose dnsmasq lease file the module can read).</summary>
    private List<(string Mac, NatManager Manager, QemuNatNetwork Net)> LeaseSources(QemuLaunchSpec spec, string? netns)
    {
        var manager = Invoke(() => new NatManager(new HostContext(Runner, netns), StateDirectory.Open()));
        var networks = Invoke(manager.ListRecords).Networks;
        var sources = new List<(string, NatManager, QemuNatNetwork)>();
        foreach (var nic in spec.Nics)
        {
            if (nic.Backend is QemuTapNet { Bridge: { } bridge } && networks.FirstOrDefault(n => n.BridgeName == bridge && n.Dhcp) is { } net)
            {
                sources.Add((nic.MacAddress!, manager, net));
            }
        }

        if (sources.Count == 0)
        {
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("VmLeaseNotObservable", QemuNetErrorCategory.InvalidArgument, spec.Name,
                "-WaitForLease watches the DHCP leases of QemuNet's NAT networks, and no NIC of this VM is on one with DHCP.",
                "Use -WaitForConsole with a line your guest prints once its network is up; user-mode guests get 10.0.2.15 unless -DhcpStart says otherwise; on a bridge, ask the LAN's DHCP server.")));
        }

        return sources;
    }

    /// <summary>
    /// Polls the console log and the lease files with Write-Progress until everything asked for is there; a
    /// timeout is a non-terminating error (the guest keeps running); Ctrl+C stops the guest.
    /// </summary>
    private void WaitUntilReady(QemuVmManager manager, QemuVm vm, System.Text.RegularExpressions.Regex? console, List<(string Mac, NatManager Manager, QemuNatNetwork Net)> leases)
    {
        var started = DateTime.UtcNow;
        var progress = new ProgressRecord(1, $"Starting VM '{vm.Name}'", "Waiting") { PercentComplete = 0 };
        var addresses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var consoleSeen = console is null;
        try
        {
            while (true)
            {
                if (!consoleSeen && File.Exists(vm.ConsoleLog))
                {
                    using var stream = new FileStream(vm.ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                    consoleSeen = console!.IsMatch(new StreamReader(stream).ReadToEnd());
                }

                foreach (var (mac, natManager, net) in leases.Where(l => !addresses.ContainsKey(l.Mac)))
                {
                    if (natManager.GetLeases(net).FirstOrDefault(l => string.Equals(l.MacAddress, mac, StringComparison.OrdinalIgnoreCase)) is { } lease)
                    {
                        addresses[mac] = lease.IPAddress;
                    }
                }

                if (consoleSeen && addresses.Count == leases.Count)
                {
                    break;
                }

                var elapsed = DateTime.UtcNow - started;
                if (!QemuVmManager.IsAlive(vm) || elapsed.TotalSeconds > TimeoutSec)
                {
                    var what = !consoleSeen ? $"a console line matching '{WaitForConsole}'" : $"DHCP leases ({addresses.Count} of {leases.Count})";
                    var reason = QemuVmManager.IsAlive(vm) ? $"did not show {what} within {TimeoutSec} s; it keeps running" : $"exited before it showed {what}";
                    WriteError(ToErrorRecord(new QemuNetException("VmWaitTimeout", QemuNetErrorCategory.OperationTimeout, vm.Name,
                        $"VM '{vm.Name}' {reason}.", $"Read its console: Get-Content {vm.ConsoleLog}. Raise -TimeoutSec for slow (TCG) boots.")));
                    break;
                }

                progress.StatusDescription = !consoleSeen ? $"Waiting for the console to print '{WaitForConsole}'" : $"Waiting for DHCP leases ({addresses.Count} of {leases.Count})";
                progress.SecondsRemaining = (int)Math.Max(0, TimeoutSec - elapsed.TotalSeconds);
                progress.PercentComplete = (int)Math.Min(99, elapsed.TotalSeconds * 100 / TimeoutSec);
                WriteProgress(progress);
                if (CancelToken.WaitHandle.WaitOne(250))
                {
                    // Ctrl+C: the start is abandoned, so the guest goes too.
                    manager.StopAsync(vm, TimeSpan.FromSeconds(3), CancellationToken.None).GetAwaiter().GetResult();
                    throw new PipelineStoppedException();
                }
            }
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }

        vm.IPAddress = leases.Select(l => addresses.GetValueOrDefault(l.Mac)).OfType<string>().ToArray();
    }

    private string ExistingFile(string path, string parameter)
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full))
        {
            throw new QemuNetException("VmFileNotFound", QemuNetErrorCategory.ObjectNotFound, path,
                $"The -{parameter} file '{full}' does not exist.", $"Check the path given to -{parameter}; relative paths start at the current location ({SessionState.Path.CurrentFileSystemLocation}).");
        }

        return full;
    }
}
