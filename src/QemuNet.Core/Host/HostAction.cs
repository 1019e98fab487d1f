using System.Text.Json.Serialization;

namespace QemuNet.Core.Host;

/// <summary>
/// One concrete host change, as data: it can be shown (-WhatIf), journaled (so an interrupted apply can be
/// undone later) and executed. Programs always get an argument array, never a shell string.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "do")]
[JsonDerivedType(typeof(RunProgram), "run")]
[JsonDerivedType(typeof(WriteFile), "write")]
[JsonDerivedType(typeof(DeleteFile), "delete")]
[JsonDerivedType(typeof(SetSysctl), "sysctl")]
[JsonDerivedType(typeof(SignalPidFile), "signal")]
public abstract record HostAction
{
    /// <summary>What the action does, for -WhatIf, -Verbose and golden plans.</summary>
    public abstract string Describe();
}

/// <summary>Runs a program; <see cref="IgnoreFailure"/> for undo actions whose target may already be gone.</summary>
public sealed record RunProgram(string Program, IReadOnlyList<string> Arguments, string? StandardInput = null, bool IgnoreFailure = false) : HostAction
{
    public override string Describe() =>
        Processes.CommandLine.Format(Program, Arguments) + (StandardInput is null ? string.Empty : " <<EOF\n" + StandardInput.TrimEnd('\n') + "\nEOF");
}

public sealed record WriteFile(string Path, string Content) : HostAction
{
    public override string Describe() => $"write {Path}:\n{Content.TrimEnd('\n')}";
}

public sealed record DeleteFile(string Path) : HostAction
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

/// <summary>One step of a plan: a target and action text for ShouldProcess, what to do, and how to undo it.</summary>
public sealed record HostStep(string Target, string Action, IReadOnlyList<HostAction> Apply, IReadOnlyList<HostAction> Undo)
{
    public string Describe() =>
        $"[{Target}] {Action}\n" + string.Concat(Apply.Select(a => "  + " + a.Describe().Replace("\n", "\n    ", StringComparison.Ordinal) + "\n"))
        + string.Concat(Undo.Select(a => "  - " + a.Describe().Replace("\n", "\n    ", StringComparison.Ordinal) + "\n"));
}
