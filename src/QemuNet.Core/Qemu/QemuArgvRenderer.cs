using System.Globalization;
using QemuNet.Core.Model;

namespace QemuNet.Core.Qemu;

/// <summary>The syntax a command line is written in.</summary>
public enum QemuCommandLineSyntax
{
    /// <summary>Modern where the binary has hub ports (QEMU 1.2 on), Legacy before.</summary>
    Auto,

    /// <summary>Today's -netdev/-device, hubs as -netdev hubport.</summary>
    Modern,

    /// <summary>The seed's -net nic/-net tap forms: vlan=n for QEMU before 3.0, name= before 5.1.</summary>
    Legacy,
}

/// <summary>
/// The one place that turns a resolved launch spec into QEMU's argument list: modern -netdev/-device syntax for the
/// guests QemuNet starts, and the classic -net syntax for people who must feed an old binary.
/// The list goes to the process as separate arguments; nothing here is ever joined for a shell.
/// </summary>
public static class QemuArgvRenderer
{
    /// <summary>The first QEMU without vlan= (hubs became -netdev hubport, which exists since 1.2).</summary>
    public static readonly Version VlanRemoved = new(3, 0);

    /// <summary>The first QEMU without name= on -net.</summary>
    public static readonly Version NetNameRemoved = new(5, 1);

    /// <summary>The first QEMU with -netdev hubport.</summary>
    public static readonly Version HubPortAdded = new(1, 2);

    /// <param name="spec">A spec that went through <see cref="QemuLaunchPlanner.Resolve"/>.</param>
    /// <param name="accelerator">Kvm or Tcg: Auto must be decided by the caller, who can look at /dev/kvm.</param>
    /// <param name="paths">Where the daemonized QEMU keeps its pid file, QMP socket and console log.</param>
    /// <param name="runWith">The binary takes -run-with user= (QEMU 9.1 on) rather than -runas.</param>
    public static IReadOnlyList<string> Render(QemuLaunchSpec spec, QemuAccelerator accelerator, QemuVmPaths paths, bool runWith = false)
    {
        if (accelerator == QemuAccelerator.Auto)
        {
            throw new ArgumentException("The accelerator must be decided before rendering.", nameof(accelerator));
        }

        var argv = Guest(spec, accelerator, QemuCommandLineSyntax.Modern, version: null, headless: true).ToList();

        // Daemonized: the parent exits only after the command line parsed and devices opened,
        // so a bad option still fails the start with QEMU's own message.
        argv.Add("-daemonize");
        argv.Add("-pidfile");
        argv.Add(paths.PidFile);
        argv.Add("-qmp");
        argv.Add(new QemuOptionBuilder().Add("unix:" + paths.QmpSocket).Add("server", "on").Add("wait", "off").ToString());
        argv.Add("-serial");
        argv.Add("file:" + paths.ConsoleLog);
        if (spec.RunAs is { } user)
        {
            // Dropped after QEMU opened its devices, pid file, socket and log, which stay root's.
            argv.AddRange(runWith ? ["-run-with", new QemuOptionBuilder().Add("user", user).ToString()] : ["-runas", user]);
        }

        return argv;
    }

    /// <summary>
    /// The guest's own options (name, accelerator, memory, CPUs, disks, kernel, network), without what QemuNet adds
    /// to run and watch it. <paramref name="version"/> is the target binary's, for Legacy (null: the seed's era, with vlan=).
    /// </summary>
    public static IReadOnlyList<string> Guest(QemuLaunchSpec spec, QemuAccelerator accelerator, QemuCommandLineSyntax syntax, Version? version, bool headless)
    {
        if (syntax == QemuCommandLineSyntax.Auto)
        {
            throw new ArgumentException("The syntax must be decided before rendering (ChooseSyntax).", nameof(syntax));
        }

        var legacy = syntax == QemuCommandLineSyntax.Legacy;
        var argv = new List<string> { "-name", new QemuOptionBuilder().Add("guest", spec.Name).ToString() };
        switch (accelerator)
        {
            case QemuAccelerator.Kvm:
                argv.AddRange(legacy ? ["-enable-kvm"] : ["-accel", "kvm"]);
                break;
            case QemuAccelerator.Tcg:
                argv.AddRange(legacy ? ["-machine", "accel=tcg"] : ["-accel", "tcg"]);
                break;
        }

        argv.AddRange(["-m", spec.MemoryMiB.ToString(CultureInfo.InvariantCulture), "-smp", spec.CpuCount.ToString(CultureInfo.InvariantCulture)]);
        if (headless)
        {
            argv.AddRange(["-display", "none"]);
        }

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

        if (legacy)
        {
            LegacyNetwork(argv, spec, version);
        }
        else
        {
            ModernNetwork(argv, spec);
        }

        return argv;
    }

    /// <summary>Auto's choice for a binary: Modern wherever hub ports exist, which is every QEMU since 1.2.</summary>
    public static QemuCommandLineSyntax ChooseSyntax(QemuCommandLineSyntax wanted, Version? version) =>
        wanted != QemuCommandLineSyntax.Auto ? wanted
        : version is null || version >= HubPortAdded ? QemuCommandLineSyntax.Modern : QemuCommandLineSyntax.Legacy;

    private static void ModernNetwork(List<string> argv, QemuLaunchSpec spec)
    {
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
    }

    /// <summary>
    /// -net nic / -net &lt;backend&gt; pairs. Before 3.0 each hub is vlan=n and a NIC with a backend of its own gets a
    /// vlan of its own; from 3.0 every -net shares hub 0, so only a network that is one hub can be written this way.
    /// </summary>
    private static void LegacyNetwork(List<string> argv, QemuLaunchSpec spec, Version? version)
    {
        var vlans = version is null || version < VlanRemoved;
        var withName = version is null || version < NetNameRemoved;
        if (spec.Nics.Count == 0 && spec.HubBackends.Count == 0)
        {
            argv.AddRange(["-net", "none"]);
            return;
        }

        var ownVlan = new Dictionary<int, int>();
        var nextVlan = 0;
        int FreeVlan()
        {
            while (spec.Backends().Any(b => b.Hub == nextVlan))
            {
                nextVlan++;
            }

            return nextVlan++;
        }

        for (var i = 0; i < spec.Nics.Count; i++)
        {
            ownVlan[i] = spec.Nics[i].Backend?.Hub ?? FreeVlan();
        }

        if (!vlans && ownVlan.Values.Concat(spec.HubBackends.Select(b => b.Hub!.Value)).Distinct().Count() > 1)
        {
            throw new QemuNetException("CommandLineLegacyNeedsVlan", QemuNetErrorCategory.InvalidArgument, version,
                $"QEMU {version} has no vlan=, so every -net joins one hub; this guest's NICs sit on {ownVlan.Values.Distinct().Count()} separate networks.",
                "Use -Syntax Modern (it works on every QEMU since 1.2), or put all NICs on one hub.");
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Nics.Count; i++)
        {
            var nic = spec.Nics[i];
            if (nic.BootIndex is not null || nic.Backend is QemuTapNet { Queues: > 1 })
            {
                throw new QemuNetException("CommandLineLegacyUnsupported", QemuNetErrorCategory.InvalidArgument, nic.Id,
                    $"NIC {nic.Id} uses {(nic.BootIndex is not null ? "-BootIndex" : "multiqueue (-Queues)")}, which -net nic cannot express.",
                    "Use -Syntax Modern, or leave that setting out.");
            }

            var vlan = vlans ? ownVlan[i] : (int?)null;
            argv.Add("-net");
            argv.Add(new QemuOptionBuilder().Add("nic").Add("vlan", vlan).Add("macaddr", nic.MacAddress)
                .Add("model", QemuNicModels.ToSeedName(nic.Device)).Add("name", withName ? nic.Id : null)
                .Add("addr", LegacySlot(nic)).Add("vectors", nic.Vectors).ToString());
            var backend = nic.Backend ?? new QemuUserNet();
            var id = backend.Id ?? $"net{i}";
            if (backend.Hub is null || written.Add(id))
            {
                argv.Add("-net");
                argv.Add(QemuProperties.Netdev(backend, id).ToLegacyOptionString(vlan, withName));
            }
        }

        foreach (var backend in spec.HubBackends.Where(b => b.Id is not null && written.Add(b.Id)))
        {
            argv.Add("-net");
            argv.Add(QemuProperties.Netdev(backend, backend.Id!).ToLegacyOptionString(vlans ? backend.Hub : null, withName));
        }
    }

    /// <summary>The old -net nic,addr= takes a slot (or bus:slot) but no function: "05.0" is written 5.</summary>
    private static string? LegacySlot(QemuNic nic)
    {
        if (nic.PciAddress is not { } address)
        {
            return null;
        }

        var parts = address.Split('.');
        if (parts.Length == 2 && parts[1] != "0")
        {
            throw new QemuNetException("CommandLineLegacyUnsupported", QemuNetErrorCategory.InvalidArgument, address,
                $"NIC {nic.Id} is at PCI function {parts[1]} ({address}); the old -net nic,addr= takes a slot only (function 0).",
                "Use -Syntax Modern, or give the NIC function 0.");
        }

        return int.Parse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture).ToString("x", CultureInfo.InvariantCulture);
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
