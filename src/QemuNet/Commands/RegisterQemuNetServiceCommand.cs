using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Engine;
using QemuNet.Core.Service;

namespace QemuNet.Commands;

/// <summary>Writes the systemd unit that runs Restore-QemuNetwork at boot (and enables it where systemd runs).</summary>
[Cmdlet(VerbsLifecycle.Register, "QemuNetService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class RegisterQemuNetServiceCommand : QemuCmdlet
{
    /// <summary>The PowerShell the unit runs; by default pwsh on PATH, else the PowerShell running this command.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PwshPath { get; set; }

    /// <summary>The folder that holds the QemuNet module folder; by default the one this module was loaded from.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ModulePath { get; set; }

    /// <summary>Where the unit is written; /etc/systemd/system by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UnitDirectory { get; set; } = RestoreService.DefaultUnitDirectory;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var unitDirectory = SessionState.Path.GetUnresolvedProviderPathFromPSPath(UnitDirectory);
        var pwsh = Invoke(() => PwshCommand(PwshPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(PwshPath)));
        var modules = Invoke(() => ModuleRoot(ModulePath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(ModulePath)));
        var configDirectory = Environment.GetEnvironmentVariable(DefinitionStore.EnvironmentVariable) is { Length: > 0 } ? DefinitionStore.Resolve() : null;
        var text = Invoke(() => RestoreService.Render(pwsh, modules, configDirectory));
        var unit = Path.Combine(Invoke(() => RestoreService.CheckPath(unitDirectory)), RestoreService.UnitName);
        if (File.Exists(unit) && !File.ReadAllText(unit).StartsWith(RestoreService.Header + "\n", StringComparison.Ordinal))
        {
            // Someone's own unit of that name is theirs: never replaced.
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("ServiceUnitNotOurs", QemuNetErrorCategory.ResourceExists, unit,
                $"'{unit}' exists and was not written by Register-QemuNetService, so it is left alone.",
                $"Look at it (systemctl cat {RestoreService.UnitName}); remove it yourself if it is not needed, then run the command again.")));
        }

        var outcome = WriteUnit(unit, text, "Write the systemd unit that restores autostart networks at boot");
        if (outcome is PlanOutcome.Applied && unitDirectory == RestoreService.DefaultUnitDirectory && SystemdRuns())
        {
            var host = Invoke(() => new HostContext(Runner, (string?)null));
            Run(ct => host.RunAsync("systemctl", ["daemon-reload"], ct));
            Run(ct => host.RunAsync("systemctl", ["enable", RestoreService.UnitName], ct));
        }

        if (PassThru && outcome is PlanOutcome.Applied or PlanOutcome.NothingToDo)
        {
            WriteObject(InvokeProvider.Item.Get(unit), enumerateCollection: true);
        }
    }

    private PlanOutcome WriteUnit(string unit, string? text, string action)
    {
        var host = Invoke(() => new HostContext(Runner, (string?)null) { Log = QueueVerbose, Warn = QueueWarning });
        var store = OpenStore();
        // ConfirmStep: -WhatIf shows the unit's whole text.
        return Run(ct => HostFiles.RunAsync(store, host, HostFiles.JournalName([unit]), _ => [new HostFileChange(unit, text, "644", action)], [unit],
            ConfirmStep, IsWhatIf, ct));
    }

    internal static bool SystemdRuns() => Directory.Exists("/run/systemd/system");

    /// <summary>pwsh as given or found on PATH; else this process (the dotnet host and pwsh.dll when PowerShell runs as a dotnet tool).</summary>
    private static string[] PwshCommand(string? given)
    {
        if (given is not null)
        {
            return File.Exists(RestoreService.CheckPath(given)) ? [given] : throw new QemuNetException("ServicePwshNotFound", QemuNetErrorCategory.ObjectNotFound, given,
                $"There is no PowerShell at '{given}'.", "Give -PwshPath the full path of pwsh, e.g. /usr/bin/pwsh, or leave it out.");
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "pwsh");
            // Executable, as a shell's search wants: PowerShell puts $PSHOME on PATH, and a copy there may not be ours to run.
            if (Path.IsPathFullyQualified(candidate) && File.Exists(candidate) && NativeMethods.CanExecute(candidate))
            {
                return [candidate];
            }
        }

        var self = Environment.ProcessPath ?? throw new QemuNetException("ServicePwshNotFound", QemuNetErrorCategory.ObjectNotFound, "pwsh",
            "No pwsh was found on PATH, and this process's own path is unknown.", "Give -PwshPath the full path of pwsh.");
        var first = Environment.GetCommandLineArgs()[0];
        return first.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [self, Path.GetFullPath(first)] : [self];
    }

    private string ModuleRoot(string? given)
    {
        if (given is not null)
        {
            return Directory.Exists(Path.Combine(RestoreService.CheckPath(given), "QemuNet")) ? given : throw new QemuNetException("ServiceModuleNotFound", QemuNetErrorCategory.ObjectNotFound, given,
                $"'{given}' has no QemuNet module folder.", "Give -ModulePath the folder that holds the QemuNet folder (one of the PSModulePath folders).");
        }

        // .../QemuNet/<version>/ or .../QemuNet/: PSModulePath names the folder above QemuNet.
        var dir = new DirectoryInfo(MyInvocation.MyCommand.Module?.ModuleBase ?? throw new QemuNetException("ServiceModuleNotFound",
            QemuNetErrorCategory.ObjectNotFound, "QemuNet", "The module's own folder is unknown.", "Give -ModulePath."));
        while (dir is not null && !string.Equals(dir.Name, "QemuNet", StringComparison.Ordinal))
        {
            dir = dir.Parent;
        }

        return dir?.Parent?.FullName ?? throw new QemuNetException("ServiceModuleNotFound", QemuNetErrorCategory.ObjectNotFound,
            MyInvocation.MyCommand.Module!.ModuleBase, "The module is not in a folder named QemuNet, so PSModulePath cannot find it.", "Give -ModulePath.");
    }
}
