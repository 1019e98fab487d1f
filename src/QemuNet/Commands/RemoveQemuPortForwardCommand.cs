using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Removes a port forward from a NAT network.</summary>
[Cmdlet(VerbsCommon.Remove, "QemuPortForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuPortForward))]
public sealed class RemoveQemuPortForwardCommand : NatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public QemuForwardProtocol Protocol { get; set; } = QemuForwardProtocol.Tcp;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? HostAddress { get; set; }

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public int HostPort { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        QemuPortForward? removed = null;
        var net = Update(Network, n =>
        {
            var next = NatChanges.RemovePortForward(n, Protocol, string.IsNullOrEmpty(HostAddress) ? null : HostAddress, HostPort);
            removed = n.PortForwards.Except(next.PortForwards).Single();
            return next;
        });
        if (net is not null && PassThru)
        {
            WriteObject(GetQemuPortForwardCommand.WithNetwork(removed!, net));
        }
    }
}
