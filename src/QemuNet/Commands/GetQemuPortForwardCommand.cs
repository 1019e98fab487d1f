using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Lists the port forwards of NAT networks (each with a Network property, so it pipes into Remove-QemuPortForward).</summary>
[Cmdlet(VerbsCommon.Get, "QemuPortForward")]
[OutputType(typeof(QemuPortForward))]
public sealed class GetQemuPortForwardCommand : NatCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Network { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        foreach (var net in NetworksNamed(manager, Network))
        {
            foreach (var forward in net.PortForwards)
            {
                WriteObject(WithNetwork(forward, net));
            }
        }
    }

    internal static PSObject WithNetwork(QemuPortForward forward, QemuNatNetwork net)
    {
        var item = PSObject.AsPSObject(forward);
        item.Properties.Add(new PSNoteProperty("Network", net.Name));
        if (net.NetworkNamespace is not null)
        {
            item.Properties.Add(new PSNoteProperty("NetworkNamespace", net.NetworkNamespace));
        }

        return item;
    }
}
