namespace QemuNet.Core.Model;

public enum QemuAccelerator
{
    /// <summary>KVM when /dev/kvm can be opened, else TCG.</summary>
    Auto,
    Kvm,
    Tcg,
}

/// <summary>Everything needed to start one guest; no host side effects until Start-QemuVm runs it.</summary>
public sealed record QemuLaunchSpec
{
    public string Name { get; init; } = "vm";

    public int MemoryMiB { get; init; } = 256;

    public int CpuCount { get; init; } = 1;

    public IReadOnlyList<string> Disk { get; init; } = [];

    public string? Kernel { get; init; }

    public string? Initrd { get; init; }

    public string? Append { get; init; }

    public QemuAccelerator Accelerator { get; init; } = QemuAccelerator.Auto;

    public bool NoNetwork { get; init; }

    /// <summary>
    /// The user QEMU runs as once it has set up (QEMU's -runas / -run-with user=): the module, as root, prepares the
    /// network and keeps its state files; the guest's process holds no privilege.
    /// </summary>
    public string? RunAs { get; init; }

    /// <summary>The guest NICs in order; empty means one virtio NIC on user-mode networking unless NoNetwork.</summary>
    public IReadOnlyList<QemuNic> Nics { get; init; } = [];

    /// <summary>
    /// Options QemuNet does not model but passes to QEMU as they are (drives, CD-ROM, boot order, machine, CPU):
    /// what ConvertFrom-QemuCommandLine understood of an old command line beyond its network.
    /// </summary>
    public IReadOnlyList<QemuPassThroughOption> PassThrough { get; init; } = [];

    /// <summary>Backends that sit on a hub (-Hub) with no NIC of their own: the NICs on that hub hear them too.</summary>
    public IReadOnlyList<QemuNetBackend> HubBackends { get; init; } = [];

    /// <summary>
    /// Every backend the guest uses, once: each NIC's own, a hub backend shared by several NICs once, then the
    /// hub backends without a NIC. A NIC without a backend (user-mode by default) is not among them.
    /// </summary>
    public IEnumerable<QemuNetBackend> Backends()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var backend in Nics.Select(n => n.Backend).OfType<QemuNetBackend>().Concat(HubBackends))
        {
            if (HubKey(backend) is not { } key || seen.Add(key))
            {
                yield return backend;
            }
        }
    }

    /// <summary>
    /// Which backend of a hub this is: its id, or without one all its settings, so a backend shared by two NICs is
    /// still one backend after the NICs were saved and loaded again (which makes two objects of it). Null off a hub.
    /// </summary>
    public static string? HubKey(QemuNetBackend backend) =>
        backend.Hub is { } hub ? $"{hub}/{backend.Kind}/{backend.Id ?? SavedSpec.ToText(backend with { Id = null })}" : null;
}

/// <summary>Where a running VM keeps its files (pid, QMP socket, console log) inside the state directory.</summary>
public sealed record QemuVmPaths(string StateDirectory, string Name)
{
    public string PidFile => Path.Combine(StateDirectory, Name + ".pid");

    /// <summary>A Unix socket path holds at most 107 bytes: a VM whose plain path would be longer gets a short, stable one.</summary>
    public string QmpSocket =>
        System.Text.Encoding.UTF8.GetByteCount(Path.Combine(StateDirectory, Name + ".qmp")) <= MaxSocketPath
            ? Path.Combine(StateDirectory, Name + ".qmp")
            : Path.Combine(StateDirectory, "qmp-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Name)))[..12] + ".sock");

    /// <summary>sizeof(sun_path) - 1 on Linux.</summary>
    public const int MaxSocketPath = 107;

    public string ConsoleLog => Path.Combine(StateDirectory, Name + ".console.log");

    public string RecordFile => Path.Combine(StateDirectory, Name + ".vm.json");
}

/// <summary>One QEMU option passed through unchanged (<see cref="QemuLaunchSpec.PassThrough"/>).</summary>
public sealed record QemuPassThroughOption(string Option, string? Value)
{
    /// <summary>Options that change neither the network nor how QemuNet runs and watches QEMU.</summary>
    public static readonly IReadOnlyList<string> Allowed =
        ["-drive", "-hda", "-hdb", "-hdc", "-hdd", "-cdrom", "-fda", "-fdb", "-boot", "-cpu", "-machine", "-rtc", "-usb", "-usbdevice",
         "-vga", "-snapshot", "-no-reboot", "-no-shutdown", "-bios", "-smbios", "-uuid", "-k", "-no-hpet", "-no-acpi"];

    public static QemuPassThroughOption Create(string option, string? value)
    {
        if (!Allowed.Contains(option, StringComparer.Ordinal) || (value is not null && value.Any(char.IsControl)))
        {
            throw new QemuNetException("VmPassThroughInvalid", QemuNetErrorCategory.InvalidArgument, option,
                $"'{option}' is not an option QemuNet passes through to QEMU (it passes {string.Join(", ", Allowed)}, without control characters).",
                "Give the network as NICs and backends, the rest with Start-QemuVm's parameters.");
        }

        return new QemuPassThroughOption(option, value);
    }

    public override string ToString() => Value is null ? Option : $"{Option} {Value}";
}
