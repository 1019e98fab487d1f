using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Bridge;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Removes a bridge New-QemuBridge made, putting its uplink back with the bridge's addresses and routes.</summary>
[Cmdlet(VerbsCommon.Remove, "QemuBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveQemuBridgeCommand : HostCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>Remove it even though guests' TAPs (or other links) are still ports; they lose their network.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new BridgeManager(CreateHost(), QemuStateDirectory.Resolve());
        Locked(manager.LockAsync, () =>
        {
            if (!IsWhatIf)
            {
                Run(async ct => { await manager.RecoverAsync(Name).ConfigureAwait(false); return 0; });
            }

            if (manager.FindRecord(Name) is not { } record)
            {
                WriteError(ToErrorRecord(new QemuNetException("BridgeNotManaged", QemuNetErrorCategory.ObjectNotFound, Name,
                    $"QemuNet did not create a bridge named '{Name}'" + (NetworkNamespace is null ? "." : $" in namespace {NetworkNamespace}."),
                    $"List bridges with Get-QemuBridge; delete other bridges with 'ip link del {Name}'.")));
                return;
            }

            var observation = Run(ct => manager.ObserveAsync(Name, record.Uplink, ct));
            var others = observation.Ports.Where(p => p != record.Uplink).ToArray();
            if (others.Length > 0 && !Force)
            {
                WriteError(ToErrorRecord(new QemuNetException("BridgeInUse", QemuNetErrorCategory.ResourceExists, Name,
                    $"The bridge {Name} still has ports besides its uplink: {string.Join(", ", others)}.",
                    "Stop the guests using it (Get-QemuBridge shows whose TAPs they are), or use -Force.")));
                return;
            }

            var steps = manager.PlanRemove(record, observation);
            if (ConfirmSteps($"bridge {Name}", steps) && !IsWhatIf && steps.Count > 0)
            {
                Run(async ct => { await manager.ApplyAsync(Name, steps, ct).ConfigureAwait(false); return 0; });
            }
        });
    }
}
