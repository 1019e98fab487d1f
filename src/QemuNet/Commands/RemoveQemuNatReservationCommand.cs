using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Removes a DHCP reservation (by MAC or address) from a NAT network.</summary>
[Cmdlet(VerbsCommon.Remove, "QemuNatReservation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuNatReservation))]
public sealed class RemoveQemuNatReservationCommand : NatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = string.Empty;

    /// <summary>The reservation's MAC address or IP address.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Mac")]
    [ValidateNotNullOrEmpty]
    public string MacAddress { get; set; } = string.Empty;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        QemuNatReservation? removed = null;
        var net = Update(Network, n =>
        {
            var next = NatChanges.RemoveReservation(n, MacAddress);
            removed = n.Reservations.Except(next.Reservations).Single();
            return next;
        });
        if (net is not null && PassThru)
        {
            WriteObject(removed);
        }
    }
}
