using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Engine;
using QemuNet.Core.Service;

namespace QemuNet.Commands;

/// <summary>Removes the unit Register-QemuNetService wrote (disabling it first where systemd runs); nothing else.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "QemuNetService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UnregisterQemuNetServiceCommand : QemuCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UnitDirectory { get; set; } = RestoreService.DefaultUnitDirectory;

    protected override void ProcessRecord()
    {
        var unitDirectory = SessionState.Path.GetUnresolvedProviderPathFromPSPath(UnitDirectory);
        var unit = Path.Combine(unitDirectory, RestoreService.UnitName);
        if (!File.Exists(unit))
        {
            // Nothing registered: nothing to do, as Remove-Item -ErrorAction Ignore would see it.
            WriteVerbose($"{unit} does not exist: nothing to remove.");
            return;
        }

        if (!File.ReadAllText(unit).StartsWith(RestoreService.Header + "\n", StringComparison.Ordinal))
        {
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("ServiceUnitNotOurs", QemuNetErrorCategory.InvalidOperation, unit,
                $"'{unit}' was not written by Register-QemuNetService (or was edited since), so it is left alone.",
                $"Remove it yourself if it is not needed: systemctl disable {RestoreService.UnitName}; rm '{unit}'.")));
        }

        var host = Invoke(() => new HostContext(Runner, (string?)null) { Log = QueueVerbose, Warn = QueueWarning });
        if (!IsWhatIf && unitDirectory == RestoreService.DefaultUnitDirectory && RegisterQemuNetServiceCommand.SystemdRuns()
            && ShouldProcess(RestoreService.UnitName, "Disable the unit"))
        {
            Run(ct => host.RunAsync("systemctl", ["disable", RestoreService.UnitName], ct));
        }

        var store = OpenStore();
        Run(ct => HostFiles.RunAsync(store, host, HostFiles.JournalName([unit]),
            _ => [new HostFileChange(unit, null, "644", "Remove the systemd unit that restores autostart networks at boot")], [unit],
            ConfirmStep, IsWhatIf, ct));
    }
}
