using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Removes DNS records (all of a name, or the one with -Address) from a NAT network.</summary>
[Cmdlet(VerbsCommon.Remove, "QemuNatDnsRecord", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuNatDnsRecord))]
public sealed class RemoveQemuNatDnsRecordCommand : NatCmdlet
{
    private string? _address;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NetworkName")]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("HostName")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>Only the record with this address; every record of the name when left out.</summary>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [Alias("IPAddress")]
    [AllowNull]
    [AllowEmptyString]
    public string? Address { get => _address; set => _address = NotGiven(value); }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<QemuNatDnsRecord> removed = [];
        var net = Update(Network, n =>
        {
            var next = NatChanges.RemoveDnsRecord(n, Name, Address);
            removed = n.DnsRecords.Except(next.DnsRecords).ToArray();
            return next;
        });
        if (net is not null && PassThru)
        {
            WriteObject(removed, enumerateCollection: true);
        }
    }
}
