using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// Forwards a host port into a guest on a NAT network (DNAT), for other hosts and for the host itself, on every
/// local address but loopback unless -HostAddress says which. Forwarded traffic does not pass the host's INPUT
/// filtering. A port that someone else uses is refused before anything changes.
/// </summary>
[Cmdlet(VerbsCommon.Add, "QemuPortForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuPortForward))]
public sealed class AddQemuPortForwardCommand : NatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public QemuForwardProtocol Protocol { get; set; } = QemuForwardProtocol.Tcp;

    /// <summary>Forward only traffic to this host address; every local address when left out.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? HostAddress { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public int HostPort { get; set; }

    /// <summary>The guest's address, or the MAC address of one of the network's reservations.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Guest", "IPAddress")]
    [ValidateNotNullOrEmpty]
    public string GuestAddress { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public int GuestPort { get; set; }

    /// <summary>Take the port even from a local listener, or the guests' own DNS/DHCP (53, UDP 67) when no -HostAddress is given.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        var hostAddress = NotGiven(HostAddress);
        var net = Run(ct => manager.AddPortForwardAsync(Network, Protocol, hostAddress, HostPort, GuestAddress, GuestPort, Force, ConfirmStep, IsWhatIf, ct));
        if (net is null)
        {
            return;
        }

        WriteObject(GetQemuPortForwardCommand.WithNetwork(net.PortForwards[^1], net));
        foreach (var warning in Run(ct => manager.FindForwardDropsAsync(net, ct)))
        {
            WriteWarning(warning);
        }
    }
}
