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

    public string QmpSocket => Path.Combine(StateDirectory, Name + ".qmp");

    public string ConsoleLog => Path.Combine(StateDirectory, Name + ".console.log");

    public string RecordFile => Path.Combine(StateDirectory, Name + ".vm.json");
}
