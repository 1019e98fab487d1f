using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Reserves an address for a MAC on a NAT network; dnsmasq reloads it without a restart.</summary>
[Cmdlet(VerbsCommon.Add, "QemuNatReservation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QemuNatReservation))]
public sealed class AddQemuNatReservationCommand : NatCmdlet
{
    private string? _hostName;

    private string? _ipv6Address;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Mac")]
    [ValidateNotNullOrEmpty]
    public string MacAddress { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [Alias("IP", "Address")]
    [ValidateNotNullOrEmpty]
    public string IPAddress { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? HostName { get => _hostName; set => _hostName = NotGiven(value); }

    /// <summary>The address DHCPv6 gives this MAC on a dual-stack network.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? IPv6Address { get => _ipv6Address; set => _ipv6Address = NotGiven(value); }

    protected override void ProcessRecord()
    {
        var net = Update(Network, n => NatChanges.AddReservation(n, MacAddress, IPAddress, HostName, IPv6Address));
        if (net is not null)
        {
            WriteObject(net.Reservations[^1]);
        }
    }
}
