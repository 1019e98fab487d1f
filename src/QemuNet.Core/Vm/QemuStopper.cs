using QemuNet.Core.Engine;

namespace QemuNet.Core.Vm;

/// <summary>How a guest's QEMU is stopped: the power button first when asked, then ever harder ways.</summary>
public static class QemuStopper
{
    /// <summary>How long quit and SIGTERM each get before the next way is tried.</summary>
    private static readonly TimeSpan HardStepGrace = TimeSpan.FromSeconds(5);

    /// <summary>Stops the QEMU of <paramref name="stop"/>; returns how it went (for -Verbose).</summary>
    public static async Task<string> StopAsync(StopVmProcess stop, CancellationToken cancellationToken)
    {
        if (Live(stop) is null)
        {
            return "already off";
        }

        if (stop.Graceful)
        {
            var timeout = TimeSpan.FromSeconds(stop.TimeoutSec);
            if (await Qemu.QmpClient.TryPowerDownAsync(stop.QmpSocket, HardStepGrace, cancellationToken).ConfigureAwait(false)
                && await ExitedWithinAsync(stop, timeout, cancellationToken).ConfigureAwait(false))
            {
                return "the guest powered off after the ACPI power button";
            }
        }

        var prefix = stop.Graceful ? $"the guest did not power off within {stop.TimeoutSec} s; " : string.Empty;
        if (await Qemu.QmpClient.TryQuitAsync(stop.QmpSocket, HardStepGrace, cancellationToken).ConfigureAwait(false)
            && await ExitedWithinAsync(stop, HardStepGrace, cancellationToken).ConfigureAwait(false))
        {
            return prefix + "turned off (QMP quit)";
        }

        foreach (var (signal, name) in new[] { (NativeMethods.SIGTERM, "SIGTERM"), (NativeMethods.SIGKILL, "SIGKILL") })
        {
            if (Live(stop) is not { } pid)
            {
                return prefix + "turned off";
            }

            NativeMethods.Kill(pid, signal);
            if (await ExitedWithinAsync(stop, HardStepGrace, cancellationToken).ConfigureAwait(false))
            {
                return prefix + "turned off (" + name + ")";
            }
        }

        throw new QemuNetException("VmStopFailed", QemuNetErrorCategory.OperationTimeout, stop.Vm,
            $"VM '{stop.Vm}' (pid {Live(stop)}) still runs after SIGKILL.",
            "Check the process with 'ps -p PID' (it may be stuck in the kernel), then run Stop-QemuVm again.");
    }

    private static int? Live(StopVmProcess stop) => LiveQemuPid(stop.PidFile);

    /// <summary>
    /// The pid in a VM's pid file while that process lives (not a zombie) and was started with exactly the two
    /// arguments `-pidfile PATH`, as the module starts QEMU: never a recycled pid, nor another program whose
    /// command line merely mentions the path (such as a dnsmasq with --pid-file=PATH in the same directory).
    /// </summary>
    public static int? LiveQemuPid(string pidFile)
    {
        if (Processes.ProcessProbe.ReadPidFile(pidFile) is not { } pid || Processes.ProcessProbe.LiveCommandLine(pid) is not { Count: > 2 } argv)
        {
            return null;
        }

        for (var i = 1; i < argv.Count - 1; i++)
        {
            if (argv[i] == "-pidfile" && argv[i + 1] == pidFile)
            {
                return pid;
            }
        }

        return null;
    }

    private static async Task<bool> ExitedWithinAsync(StopVmProcess stop, TimeSpan time, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + time;
        while (Live(stop) is not null)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
