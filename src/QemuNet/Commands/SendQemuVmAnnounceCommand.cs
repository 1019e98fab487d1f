using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Makes a running guest's NICs announce themselves (QMP announce-self: RARP and gratuitous ARP), so switches and
/// bridges learn at once where the guest now is, after a bridge or uplink change.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "QemuVmAnnounce", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class SendQemuVmAnnounceCommand : VmNetCmdlet
{
    /// <summary>Only these NICs (all when left out).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>How many announcements each NIC sends (50 ms apart at first, then 100 ms more each round).</summary>
    [Parameter]
    [ValidateRange(1, 20)]
    public int Rounds { get; set; } = 5;

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        if (FindVm(manager) is not { } vm)
        {
            return;
        }

        var arguments = QemuVmManager.AnnounceArguments(Id, Rounds).ToJsonString();
        if (ShouldProcess($"VM '{vm.Name}'", $"Announce the NICs (QMP announce-self {arguments})"))
        {
            Change(async ct => { await manager.AnnounceAsync(vm, Id, Rounds, ct).ConfigureAwait(false); return 0; });
        }
    }
}
