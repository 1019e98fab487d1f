using System.Globalization;
using QemuNet.Core.Model;

namespace QemuNet.Core.Qemu;

/// <summary>
/// The one place that turns a resolved launch spec into QEMU's argument list (modern -netdev/-device syntax).
/// The list goes to the process as separate arguments; nothing here is ever joined for a shell.
/// </summary>
public static class QemuArgvRenderer
{
    /// <param name="spec">A spec that went through <see cref="QemuLaunchPlanner.Resolve"/>.</param>
    /// <param name="accelerator">Kvm or Tcg: Auto must be decided by the caller, who can look at /dev/kvm.</param>
    /// <param name="paths">Where the daemonized QEMU keeps its pid file, QMP socket and console log.</param>
    public static IReadOnlyList<string> Render(QemuLaunchSpec spec, QemuAccelerator accelerator, QemuVmPaths paths)
    {
        if (accelerator == QemuAccelerator.Auto)
        {
            throw new ArgumentException("The accelerator must be decided before rendering.", nameof(accelerator));
        }

        var argv = new List<string>
        {
            "-name", new QemuOptionBuilder().Add("guest", spec.Name).ToString(),
            "-accel", accelerator == QemuAccelerator.Kvm ? "kvm" : "tcg",
            "-m", spec.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-smp", spec.CpuCount.ToString(CultureInfo.InvariantCulture),
            "-display", "none",
        };

        foreach (var disk in spec.Disk)
        {
            var format = disk.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw";
            argv.Add("-drive");
            argv.Add(new QemuOptionBuilder().Add("file", disk).Add("format", format).Add("media", "disk").ToString());
        }

        foreach (var option in spec.PassThrough)
        {
            QemuPassThroughOption.Create(option.Option, option.Value);
            argv.Add(option.Option);
            if (option.Value is not null)
            {
                argv.Add(option.Value);
            }
        }

        AddPath(argv, "-kernel", spec.Kernel);
        AddPath(argv, "-initrd", spec.Initrd);
        if (spec.Append is not null)
        {
            argv.Add("-append");
            argv.Add(spec.Append);
        }

        if (spec.Nics.Count == 0 && spec.HubBackends.Count == 0)
        {
            // Without this QEMU would add its own default NIC.
            argv.Add("-nic");
            argv.Add("none");
        }

        var onHubs = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Nics.Count; i++)
        {
            var nic = spec.Nics[i];
            var backend = nic.Backend ?? new QemuUserNet();
            var netdevId = backend.Id ?? $"net{i}";
            var nicPeer = netdevId;
            if (backend.Hub is { } hub)
            {
                // The seed's vlan=n: the backend joins hub n once, and every NIC on it through a port of its own.
                var first = onHubs.Add(netdevId);
                if (first)
                {
                    AddHubBackend(argv, backend, netdevId, hub);
                }

                nicPeer = first ? netdevId + "-nic" : $"{netdevId}-nic{i}";
                argv.Add("-netdev");
                argv.Add(QemuProperties.HubPort(nicPeer, hub, null).ToOptionString());
            }
            else
            {
                argv.Add("-netdev");
                argv.Add(QemuProperties.Netdev(backend, netdevId).ToOptionString());
            }

            argv.Add("-device");
            argv.Add(QemuProperties.Device(nic, nicPeer).ToOptionString());
        }

        foreach (var backend in spec.HubBackends.Where(b => b.Id is not null && onHubs.Add(b.Id)))
        {
            AddHubBackend(argv, backend, backend.Id!, backend.Hub!.Value);
        }

        // Daemonized: the parent exits only after the command line parsed and devices opened,
        // so a bad option still fails the start with QEMU's own message.
        argv.Add("-daemonize");
        argv.Add("-pidfile");
        argv.Add(paths.PidFile);
        argv.Add("-qmp");
        argv.Add(new QemuOptionBuilder().Add("unix:" + paths.QmpSocket).Add("server", "on").Add("wait", "off").ToString());
        argv.Add("-serial");
        argv.Add("file:" + paths.ConsoleLog);
        return argv;
    }

    private static void AddHubBackend(List<string> argv, QemuNetBackend backend, string netdevId, int hub)
    {
        argv.Add("-netdev");
        argv.Add(QemuProperties.Netdev(backend, netdevId).ToOptionString());
        argv.Add("-netdev");
        argv.Add(QemuProperties.HubPort(netdevId + "-hub", hub, netdevId).ToOptionString());
    }

    private static void AddPath(List<string> argv, string option, string? path)
    {
        if (path is not null)
        {
            QemuOptionBuilder.Escape(path, path);
            argv.Add(option);
            argv.Add(path);
        }
    }
}
