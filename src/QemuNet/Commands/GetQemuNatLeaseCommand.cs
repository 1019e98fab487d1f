using QemuNet.Core.Nat;
using System.Management.Automation;

namespace QemuNet.Commands;

/// <summary>The DHCP leases dnsmasq has handed out on NAT networks.</summary>
[Cmdlet(VerbsCommon.Get, "QemuNatLease")]
[OutputType(typeof(QemuNatLease))]
public sealed class GetQemuNatLeaseCommand : NatCmdlet
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
            WriteObject(Run(ct => manager.GetLeasesAsync(net, ct)), enumerateCollection: true);
        }
    }
}
