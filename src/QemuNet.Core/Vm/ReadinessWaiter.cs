using System.Text.RegularExpressions;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;

namespace QemuNet.Core.Vm;

/// <summary>How far a start has got, for a progress bar.</summary>
public sealed record ReadinessProgress(string Status, TimeSpan Elapsed, TimeSpan Timeout);

/// <summary>
/// Waits until a started guest is ready, as asked: its console prints a line matching a pattern, and/or every NIC
/// on a QemuNet NAT network has a DHCP lease. Used by Start-QemuVm -WaitForConsole / -WaitForLease.
/// </summary>
public sealed class ReadinessWaiter
{
    private readonly Regex? _console;
    private readonly IReadOnlyList<(string Mac, NatManager Manager, QemuNatNetwork Network)> _leases;

    private ReadinessWaiter(Regex? console, IReadOnlyList<(string, NatManager, QemuNatNetwork)> leases)
    {
        _console = console;
        _leases = leases;
    }

    /// <param name="consolePattern">A regular expression the console must show, or null.</param>
    /// <param name="leases">With -WaitForLease: the NAT driver of the VM's namespace, to match its NICs to networks with DHCP.</param>
    public static ReadinessWaiter Create(QemuLaunchSpec spec, string? consolePattern, NatManager? leases)
    {
        Regex? console = null;
        if (consolePattern is not null)
        {
            try
            {
                console = new Regex(consolePattern, RegexOptions.Multiline);
            }
            catch (ArgumentException ex)
            {
                throw new QemuNetException("VmWaitPatternInvalid", QemuNetErrorCategory.InvalidArgument, consolePattern,
                    $"-WaitForConsole '{consolePattern}' is not a valid regular expression: {ex.Message}", "Escape regex characters, e.g. with [regex]::Escape('text').", ex);
            }
        }

        var sources = new List<(string, NatManager, QemuNatNetwork)>();
        if (leases is not null)
        {
            var networks = leases.ListRecords().Networks;
            foreach (var nic in spec.Nics)
            {
                if (nic.Backend is QemuTapNet { Bridge: { } bridge } && networks.FirstOrDefault(n => n.BridgeName == bridge && n.Dhcp) is { } net)
                {
                    sources.Add((nic.MacAddress!, leases, net));
                }
            }

            if (sources.Count == 0)
            {
                throw new QemuNetException("VmLeaseNotObservable", QemuNetErrorCategory.InvalidArgument, spec.Name,
                    "-WaitForLease watches the DHCP leases of QemuNet's NAT networks, and no NIC of this VM is on one with DHCP.",
                    "Use -WaitForConsole with a line your guest prints once its network is up; user-mode guests get 10.0.2.15 unless -DhcpStart says otherwise; on a bridge, ask the LAN's DHCP server.");
            }
        }

        return new ReadinessWaiter(console, sources);
    }

    /// <summary>
    /// Polls until ready; sets the VM's addresses from the leases found. Returns null when ready, or the
    /// VmWaitTimeout error (not thrown: the guest keeps running) when the time ran out or the guest exited first.
    /// </summary>
    public async Task<QemuNetException?> WaitAsync(QemuVm vm, TimeSpan timeout, Action<ReadinessProgress> progress, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var addresses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var consoleSeen = _console is null;
        QemuNetException? failure = null;
        while (true)
        {
            if (!consoleSeen && File.Exists(vm.ConsoleLog))
            {
                using var stream = new FileStream(vm.ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                consoleSeen = _console!.IsMatch(await new StreamReader(stream).ReadToEndAsync(cancellationToken).ConfigureAwait(false));
            }

            foreach (var (mac, manager, net) in _leases.Where(l => !addresses.ContainsKey(l.Mac)))
            {
                if (manager.LeasedAddress(net, mac) is { } address)
                {
                    addresses[mac] = address;
                }
            }

            if (consoleSeen && addresses.Count == _leases.Count)
            {
                break;
            }

            var elapsed = DateTime.UtcNow - started;
            var alive = QemuVmManager.IsAlive(vm);
            var what = !consoleSeen ? $"a console line matching '{_console}'" : $"DHCP leases ({addresses.Count} of {_leases.Count})";
            if (!alive || elapsed > timeout)
            {
                var reason = alive ? $"did not show {what} within {timeout.TotalSeconds:0} s; it keeps running" : $"exited before it showed {what}";
                failure = new QemuNetException("VmWaitTimeout", QemuNetErrorCategory.OperationTimeout, vm.Name,
                    $"VM '{vm.Name}' {reason}.", $"Read its console: Get-Content {vm.ConsoleLog}. Raise -TimeoutSec for slow (TCG) boots.");
                break;
            }

            progress(new ReadinessProgress($"Waiting for {what}", elapsed, timeout));
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }

        vm.IPAddress = _leases.Select(l => addresses.GetValueOrDefault(l.Mac)).OfType<string>().ToArray();
        return failure;
    }
}
