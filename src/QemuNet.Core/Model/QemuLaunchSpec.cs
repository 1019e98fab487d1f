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

    /// <summary>The guest NICs in order; empty means one virtio NIC on user-mode networking unless NoNetwork.</summary>
    public IReadOnlyList<QemuNic> Nics { get; init; } = [];
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
