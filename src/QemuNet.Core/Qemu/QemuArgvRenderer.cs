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

        AddPath(argv, "-kernel", spec.Kernel);
        AddPath(argv, "-initrd", spec.Initrd);
        if (spec.Append is not null)
        {
            argv.Add("-append");
            argv.Add(spec.Append);
        }

        if (spec.Nics.Count == 0)
        {
            // Without this QEMU would add its own default NIC.
            argv.Add("-nic");
            argv.Add("none");
        }

        for (var i = 0; i < spec.Nics.Count; i++)
        {
            var nic = spec.Nics[i];
            var backend = nic.Backend ?? new QemuUserNet();
            var netdevId = backend.Id ?? $"net{i}";
            var netdev = new QemuOptionBuilder();
            switch (backend)
            {
                case QemuTapNet tapBackend:
                    WriteTap(netdev, netdevId, tapBackend);
                    break;
                case QemuUserNet userBackend:
                    WriteUser(netdev, netdevId, userBackend);
                    break;
                default:
                    throw new NotSupportedException(backend.GetType().Name);
            }
            argv.Add("-netdev");
            argv.Add(netdev.ToString());

            var tap = backend as QemuTapNet;
            var nicPeer = netdevId;
            if (tap?.Hub is { } hub)
            {
                // The seed's vlan=n: backend and NIC meet on hub n through one hub port each.
                nicPeer = netdevId + "-nic";
                argv.Add("-netdev");
                argv.Add(new QemuOptionBuilder().Add("hubport").Add("id", netdevId + "-hub").Add("hubid", hub).Add("netdev", netdevId).ToString());
                argv.Add("-netdev");
                argv.Add(new QemuOptionBuilder().Add("hubport").Add("id", nicPeer).Add("hubid", hub).ToString());
            }

            var multiqueue = tap?.Queues is > 1 ? tap.Queues : null;
            argv.Add("-device");
            argv.Add(new QemuOptionBuilder()
                .Add(nic.Device)
                .Add("netdev", nicPeer)
                .Add("id", nic.Id)
                .Add("mac", nic.MacAddress)
                .Add("addr", nic.PciAddress)
                .Add("mq", multiqueue is null ? null : "on")
                .Add("vectors", nic.Vectors ?? (2 * multiqueue) + 2)
                .Add("bootindex", nic.BootIndex)
                .ToString());
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

    private static void AddPath(List<string> argv, string option, string? path)
    {
        if (path is not null)
        {
            QemuOptionBuilder.Escape(path, path);
            argv.Add(option);
            argv.Add(path);
        }
    }

    private static void WriteTap(QemuOptionBuilder options, string id, QemuTapNet tap)
    {
        options.Add("tap");
        options.Add("id", id);
        if (tap.Fd is not null)
        {
            options.Add("fd", tap.Fd);
        }
        else if (tap.Helper is not null)
        {
            options.Add("br", tap.Bridge);
            options.Add("helper", tap.Helper);
        }
        else
        {
            options.Add("ifname", tap.IfName);

            // QEMU would otherwise run /etc/qemu-ifup and /etc/qemu-ifdown.
            options.Add("script", tap.Script ?? "no");
            options.Add("downscript", tap.DownScript ?? "no");
        }

        options.Add("sndbuf", tap.SndBuf?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        options.Add("vnet_hdr", OnOff(tap.VnetHdr));
        options.Add("vhost", tap.Vhost switch { QemuVhostMode.On => "on", QemuVhostMode.Off => "off", _ => null });
        if (tap.Queues > 1)
        {
            options.Add("queues", tap.Queues);
        }
    }

    private static void WriteUser(QemuOptionBuilder options, string id, QemuUserNet user)
    {
        options.Add("user");
        options.Add("id", id);
        if (user.Restrict)
        {
            options.Add("restrict", "on");
        }

        options.Add("net", user.Subnet);
        options.Add("dhcpstart", user.DhcpStart);
        options.Add("dns", user.Dns);
        options.Add("hostname", user.HostName);
        options.Add("domainname", user.DomainName);
        foreach (var forward in user.HostForward)
        {
            options.Add("hostfwd", forward.ToQemuString());
        }
    }

    private static string? OnOff(bool? value) => value switch { true => "on", false => "off", null => null };
}
