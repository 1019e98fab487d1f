using QemuNet.Core.Engine;
using System.Text.Json.Serialization;
using QemuNet.Core.Model;

namespace QemuNet.Core.Vm;

public enum QemuVmState
{
    Running,

    /// <summary>Stopped by Stop-QemuVm (or found powered off and cleaned up): record and console log kept until Remove-QemuVm.</summary>
    Off,

    /// <summary>QEMU ended on its own (the guest powered off); its TAPs stay until Stop-, Start- or Remove-QemuVm.</summary>
    Exited,

    /// <summary>QEMU runs with the VM's pid file but without a record (e.g. its record was deleted by hand).</summary>
    Orphaned,

    /// <summary>A Start/Stop/Remove of this VM was killed half-way; the next of them finishes or undoes it.</summary>
    Incomplete,
}

/// <summary>A guest the module started: what it runs, where its files are, and whether it still runs.</summary>
public sealed record QemuVm
{
    public required string Name { get; init; }

    /// <summary>QEMU's pid while it runs (read from its pid file), else 0.</summary>
    [JsonIgnore]
    public int Pid { get; internal set; }

    [JsonIgnore]
    public QemuVmState State { get; internal set; }

    /// <summary>For an Incomplete VM: what the interrupted command left.</summary>
    [JsonIgnore]
    public string? Problem { get; internal set; }

    /// <summary>What the VM was started from, so Start-QemuVm -Name can start a stopped VM again.</summary>
    public QemuLaunchSpec? Spec { get; init; }

    public required string QemuPath { get; init; }

    /// <summary>QEMU's arguments, exactly as passed (without the program).</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    public QemuAccelerator Accelerator { get; init; }

    public IReadOnlyList<QemuNic> Nics { get; init; } = [];

    /// <summary>Every backend of the guest once, hub backends without a NIC included.</summary>
    public IEnumerable<QemuNetBackend> Backends() => new QemuLaunchSpec { Nics = Nics, HubBackends = Spec?.HubBackends ?? [] }.Backends();

    public string? NetworkNamespace { get; init; }

    public required string StateDirectory { get; init; }

    /// <summary>TAPs the module created for this guest (ip tuntap); they are deleted when it stops.</summary>
    public IReadOnlyList<string> CreatedTaps { get; init; } = [];

    /// <summary>Ids of the NICs whose cable Set-QemuVmNic pulled (set_link): QEMU reports a link's state nowhere else.</summary>
    public IReadOnlyList<string> LinkDown { get; init; } = [];

    /// <summary>The packet captures running on this guest's NICs (Start-QemuNetCapture).</summary>
    public IReadOnlyList<QemuNetCapture> Captures { get; init; } = [];

    public DateTimeOffset StartTime { get; init; }

    /// <summary>When Stop-QemuVm stopped it (null while it runs, or when it ended on its own).</summary>
    public DateTimeOffset? StopTime { get; init; }

    /// <summary>The NICs' addresses as seen by the module (NAT network leases), filled by Start-QemuVm -WaitForLease and kept in the record.</summary>
    public IReadOnlyList<string> IPAddress { get; set; } = [];

    [JsonIgnore]
    public TimeSpan? Uptime => State == QemuVmState.Running ? DateTimeOffset.Now - StartTime : null;

    /// <summary>The console log's last ten lines, to see at a glance how far the guest got.</summary>
    [JsonIgnore]
    public IReadOnlyList<string>? ConsoleTail => ReadTail(ConsoleLog, 10);

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

    private static string[]? ReadTail(string path, int count)
    {
        try
        {
            return [.. File.ReadLines(path).TakeLast(count)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No log yet (never started here) or not ours to read: nothing to show.
            return null;
        }
    }

    /// <summary>What is returned for a VM whose files are all gone (removed, or a killed start undone).</summary>
    internal QemuVm AsGone()
    {
        Pid = 0;
        State = QemuVmState.Off;
        Problem = null;
        return this;
    }
}
