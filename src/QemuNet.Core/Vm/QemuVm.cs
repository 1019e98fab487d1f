using QemuNet.Core.Engine;
using System.Text.Json.Serialization;
using QemuNet.Core.Model;

namespace QemuNet.Core.Vm;

public enum QemuVmState
{
    Running,
    Exited,

    /// <summary>QEMU runs with the VM's pid file but without a record: a start was killed after QEMU went to the background.</summary>
    Orphaned,
}

/// <summary>A guest the module started: what it runs, where its files are, and whether it still runs.</summary>
public sealed class QemuVm
{
    public required string Name { get; init; }

    public int Pid { get; init; }

    [JsonIgnore]
    public QemuVmState State { get; internal set; }

    public required string QemuPath { get; init; }

    /// <summary>QEMU's arguments, exactly as passed (without the program).</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    public QemuAccelerator Accelerator { get; init; }

    public IReadOnlyList<QemuNic> Nics { get; init; } = [];

    public string? NetworkNamespace { get; init; }

    public required string StateDirectory { get; init; }

    /// <summary>TAPs the module created for this guest (ip tuntap); they are deleted when it stops.</summary>
    public IReadOnlyList<string> CreatedTaps { get; init; } = [];

    public DateTimeOffset StartTime { get; init; }

    /// <summary>The NICs' addresses as seen by the module (NAT network leases), filled by Start-QemuVm -WaitForLease and kept in the record.</summary>
    public IReadOnlyList<string> IPAddress { get; set; } = [];

    [JsonIgnore]
    public QemuVmPaths Paths => new(StateDirectory, Name);

    [JsonIgnore]
    public string QmpSocket => Paths.QmpSocket;

    [JsonIgnore]
    public string ConsoleLog => Paths.ConsoleLog;

    /// <summary>The command line as one copy-pasteable string (for reading; the module never runs it through a shell).</summary>
    [JsonIgnore]
    public string CommandLine => Processes.CommandLine.Format(QemuPath, Arguments);

    public override string ToString() => Name;
}
