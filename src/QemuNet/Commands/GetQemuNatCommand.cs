using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// Lists NAT networks with their state: bridge, subnet, dnsmasq pid, and drift from what was applied. It never
/// changes the host: a network a killed command left half-made is reported as Incomplete, with what is left.
/// </summary>
[Cmdlet(VerbsCommon.Get, "QemuNat")]
[Alias("Get-QemuNetwork")]
[OutputType(typeof(QemuNatNetwork))]
public sealed class GetQemuNatCommand : NatCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        var selected = SelectByName(NetworksNamed(manager, null), Name ?? ["*"], net => net.Name, "NatNotFound",
            name => manager.NotFound(name).Message);
        foreach (var net in selected)
        {
            WriteObject(Run(ct => manager.RefreshAsync(net, ct)));
        }
    }
}
