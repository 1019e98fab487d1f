using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Adds an A or AAAA record to a NAT network's DNS; dnsmasq reloads it without a restart.</summary>
[Cmdlet(VerbsCommon.Add, "QemuNatDnsRecord", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QemuNatDnsRecord))]
public sealed class AddQemuNatDnsRecordCommand : NatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = string.Empty;

    /// <summary>The name the guests look up, e.g. files.lab.internal.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("HostName")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>An IPv4 address (A record) or IPv6 address (AAAA record).</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [Alias("IPAddress")]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        var net = Update(Network, n => NatChanges.AddDnsRecord(n, Name, Address));
        if (net is not null)
        {
            WriteObject(net.DnsRecords[^1]);
        }
    }
}
