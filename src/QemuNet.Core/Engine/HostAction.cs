using System.Text.Json.Serialization;

namespace QemuNet.Core.Engine;

/// <summary>
/// One concrete host change, as data: it can be shown (-WhatIf), journaled (so an interrupted apply can be
/// undone later) and executed. Programs always get an argument array, never a shell string.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "do")]
[JsonDerivedType(typeof(RunProgram), "run")]
[JsonDerivedType(typeof(ApplyNftTable), "nft")]
[JsonDerivedType(typeof(WriteFile), "write")]
[JsonDerivedType(typeof(DeleteFile), "delete")]
[JsonDerivedType(typeof(SetSysctl), "sysctl")]
[JsonDerivedType(typeof(SignalPidFile), "signal")]
[JsonDerivedType(typeof(DeleteOwnedLink), "dellink")]
[JsonDerivedType(typeof(StartVmProcess), "startvm")]
[JsonDerivedType(typeof(StopVmProcess), "stopvm")]
[JsonDerivedType(typeof(QmpCommand), "qmp")]
[JsonDerivedType(typeof(QmpUnplugDevice), "unplug")]
public abstract record HostAction
{
    /// <summary>What the action does, for -WhatIf, -Verbose and golden plans.</summary>
    public abstract string Describe();
}

/// <summary>Runs a program; <see cref="IgnoreFailure"/> for actions whose target may already be gone.</summary>
public sealed record RunProgram(string Program, IReadOnlyList<string> Arguments, string? StandardInput = null, bool IgnoreFailure = false) : HostAction
{
    public override string Describe() =>
        Processes.CommandLine.Format(Program, Arguments) + (StandardInput is null ? string.Empty : " <<EOF\n" + StandardInput.TrimEnd('\n') + "\nEOF");
}

/// <summary>
/// One `nft -f` transaction that makes a whole table, echoed back as nft made it (`-j -e -a`: the objects with their
/// handles), so what was applied is known without listing the table again: its text (<see cref="NftSnapshot.Table"/>)
/// goes to <see cref="AppliedTo"/>, where drift checks compare the table with it later.
/// </summary>
public sealed record ApplyNftTable(string Family, string Table, string Transaction, string AppliedTo) : HostAction
{
    /// <summary>The file nft reads the transaction from (deleted after; a kill inside nft leaves it for the undo).</summary>
    [JsonIgnore]
    public string TransactionFile => AppliedTo + ".transaction";

    /// <summary>
    /// What undoing it does to the two files it writes: the transaction file goes, and <see cref="AppliedTo"/> is put back
    /// as it was before (<paramref name="appliedBefore"/>; null: it did not exist).
    /// </summary>
    public IEnumerable<HostAction> UndoFiles(string? appliedBefore) =>
    [
        new DeleteFile(TransactionFile),
        appliedBefore is null ? new DeleteFile(AppliedTo) : new WriteFile(AppliedTo, appliedBefore, Summary: "the table as nft made it before"),
    ];

    public override string Describe() => $"nft -j -e -a -f {AppliedTo}.transaction, a file holding:\n" + Transaction.TrimEnd('\n');
}

/// <summary>
/// What a file must hold for a guarded write or delete to go ahead: <see cref="Text"/>, or no file when it is null.
/// Files outside the books (the helper ACL, an exported script) are shared with editors and other tools: a change
/// made after the plan read the file is theirs, and is kept rather than overwritten.
/// </summary>
public sealed record FileExpectation(string? Text);

/// <summary>
/// Replaces a file atomically (temporary file, fsync, rename) with the given permission bits (octal text, 644 by default).
/// <see cref="Summary"/>, when given, is shown instead of the content (a VM record is data, not text to review).
/// With <see cref="Expect"/>, it fails instead when the file no longer holds what the plan read.
/// </summary>
public sealed record WriteFile(string Path, string Content, string Mode = "644", string? Summary = null, FileExpectation? Expect = null) : HostAction
{
    public override string Describe() => $"write {Path}{(Mode == "644" ? string.Empty : " (mode " + Mode + ")")}" + (Summary is null ? $":\n{Content.TrimEnd('\n')}" : $" ({Summary})");

    [JsonIgnore]
    public UnixFileMode UnixMode => (UnixFileMode)Convert.ToInt32(Mode, 8);
}

/// <summary>Deletes a file; with <see cref="Expect"/>, only while it holds what the plan read (else it fails and keeps it).</summary>
public sealed record DeleteFile(string Path, FileExpectation? Expect = null) : HostAction
{
    public override string Describe() => $"delete {Path}";
}

public sealed record SetSysctl(string Key, string Value) : HostAction
{
    public override string Describe() => $"sysctl {Key}={Value}";
}

/// <summary>
/// Signals the process named in a pid file, after checking /proc/PID/cmdline still contains
/// <see cref="CommandLineMustContain"/> (so a recycled pid is never signalled); waits for it to exit on TERM.
/// </summary>
public sealed record SignalPidFile(string PidFile, string CommandLineMustContain, int Signal) : HostAction
{
    public override string Describe() => $"kill -{(Signal == 1 ? "HUP" : Signal == 15 ? "TERM" : Signal.ToString(System.Globalization.CultureInfo.InvariantCulture))} $(cat {PidFile})";
}

/// <summary>
/// Deletes a link unless its alias shows it is someone else's: the module marks what it creates with an alias
/// (set right after `ip link add`, which cannot set one), so a link with another alias is never deleted, and one
/// with none is the module's own half-made link; when the module gave the link a MAC address in the same request
/// that made it (<see cref="MacAddress"/>), only if it has that address.
/// </summary>
public sealed record DeleteOwnedLink(string Name, string Alias) : HostAction
{
    public string? MacAddress { get; init; }

    public override string Describe() => MacAddress is null
        ? $"ip link del {Name} (unless its alias is not '{Alias}')"
        : $"ip link del {Name} (if its alias is '{Alias}', or it has none and its address is {MacAddress})";

    /// <summary>Whether <paramref name="link"/> is the one this action may delete.</summary>
    public bool Owns(NetlinkLink link) =>
        link.Alias == Alias || (link.Alias is null && (MacAddress is null || string.Equals(link.MacAddress, MacAddress, StringComparison.OrdinalIgnoreCase)));
}

/// <summary>
/// Starts a guest's QEMU (which daemonizes and writes <see cref="PidFile"/>); QEMU's own message becomes the error
/// (QemuStartFailed) when it refuses to start.
/// </summary>
public sealed record StartVmProcess(string Vm, string Program, IReadOnlyList<string> Arguments, string PidFile, IReadOnlyList<TapHandOver>? HandOver = null) : HostAction
{
    public override string Describe() =>
        string.Concat((HandOver ?? []).Select(t => t.Describe() + "; ")) + Processes.CommandLine.Format(Program, Arguments);
}

/// <summary>
/// A TAP the module opens (/dev/net/tun, one descriptor per queue), attaches to <see cref="Bridge"/> and hands to
/// QEMU at descriptor <see cref="FirstFd"/> and on, with /dev/vhost-net descriptors after them when
/// <see cref="Vhost"/>. QEMU alone holds it then: the TAP goes when QEMU exits.
/// </summary>
public sealed record TapHandOver(string IfName, string Bridge, int Queues, bool VnetHdr, int FirstFd, bool Vhost)
{
    public string Describe() =>
        $"open TAP {IfName} ({Queues} queue{(Queues == 1 ? string.Empty : "s")}{(VnetHdr ? ", vnet_hdr" : string.Empty)}), ip link set dev {IfName} master {Bridge} up, "
        + $"hand it to QEMU as fd {string.Join(':', Enumerable.Range(FirstFd, Queues))}"
        + (Vhost ? $" with /dev/vhost-net as fd {string.Join(':', Enumerable.Range(FirstFd + Queues, Queues))}" : string.Empty);
}

/// <summary>
/// Stops the guest QEMU named in a pid file (only while /proc/PID/cmdline names that pid file): with
/// <see cref="Graceful"/>, first the ACPI power button (QMP system_powerdown) and up to <see cref="TimeoutSec"/>
/// for the guest to power off; then QMP quit, SIGTERM and SIGKILL.
/// </summary>
public sealed record StopVmProcess(string Vm, string PidFile, string QmpSocket, bool Graceful, int TimeoutSec) : HostAction
{
    public override string Describe() => Graceful
        ? $"power down VM '{Vm}' (QMP system_powerdown on {QmpSocket}, up to {TimeoutSec} s), then QMP quit, kill -TERM, kill -KILL $(cat {PidFile})"
        : $"turn off VM '{Vm}' (QMP quit on {QmpSocket}, then kill -TERM, kill -KILL $(cat {PidFile}))";
}

/// <summary>
/// A QMP command on a running guest (its arguments as JSON text). human-monitor-command is HMP passthrough, whose
/// printed text is an error unless it matches the pattern <see cref="HmpSuccess"/> (some commands confirm in words).
/// With <see cref="IgnoreFailure"/> (undos), a guest or an object already gone is fine: nothing is left to take back.
/// </summary>
public sealed record QmpCommand(string Vm, string QmpSocket, string Command, string? Arguments = null, bool IgnoreFailure = false, string? HmpSuccess = null) : HostAction
{
    public override string Describe() => Command == "human-monitor-command" && Arguments is not null
        ? $"HMP {System.Text.Json.Nodes.JsonNode.Parse(Arguments)?["command-line"]} (VM '{Vm}', QMP {QmpSocket})"
        : $"QMP {Command}{(Arguments is null ? string.Empty : " " + Arguments)} (VM '{Vm}', QMP {QmpSocket})";
}

/// <summary>Unplugs a guest device (QMP device_del) and waits up to <see cref="TimeoutSec"/> for the guest to release it (DEVICE_DELETED).</summary>
public sealed record QmpUnplugDevice(string Vm, string QmpSocket, string DeviceId, int TimeoutSec = 30, bool IgnoreFailure = false) : HostAction
{
    public override string Describe() =>
        $"QMP device_del {{\"id\":\"{DeviceId}\"}}, then wait up to {TimeoutSec} s for DEVICE_DELETED (VM '{Vm}', QMP {QmpSocket})";
}

/// <summary>One host change and how to take it back; the undo is journaled only once the change has succeeded.</summary>
public sealed record HostChange(HostAction Do, IReadOnlyList<HostAction> Undo)
{
    public HostChange(HostAction @do, params HostAction[] undo)
        : this(@do, (IReadOnlyList<HostAction>)undo)
    {
    }

    /// <summary>
    /// <see cref="Do"/> can fail half-way (an `ip -batch` of several requests), so its undo runs when it fails too;
    /// that undo must leave alone whatever is not the module's.
    /// </summary>
    public bool UndoIfFailed { get; init; }
}

/// <summary>One step of a plan: a target and action text for ShouldProcess, and its changes in order.</summary>
public sealed record HostStep(string Target, string Action, IReadOnlyList<HostChange> Changes)
{
    public HostStep(string target, string action, params HostChange[] changes)
        : this(target, action, (IReadOnlyList<HostChange>)changes)
    {
    }

    public string Describe() =>
        $"[{Target}] {Action}\n" + string.Concat(Changes.Select(c => "  + " + Indent(c.Do.Describe()) + "\n"
            + string.Concat(c.Undo.Select(u => "    undo: " + Indent(u.Describe()) + "\n"))));

    private static string Indent(string text) => text.Replace("\n", "\n      ", StringComparison.Ordinal);
}

/// <summary>
/// A plan for one object: its steps, and what the journal records about the object (so a half-made object can be
/// reported after a crash).
/// </summary>
public sealed record HostPlan(string Kind, string Name, IReadOnlyList<HostStep> Steps, string? Subject = null)
{
    public string Describe() => string.Concat(Steps.Select(s => s.Describe() + "\n"));
}
