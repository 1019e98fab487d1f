using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Lists NAT networks with their state: bridge, subnet, dnsmasq pid, and drift from what was applied.</summary>
[Cmdlet(VerbsCommon.Get, "QemuNat")]
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
        var all = manager.ListRecords();
        foreach (var name in Name ?? ["*"])
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = all.Where(n => pattern.IsMatch(n.Name)).ToArray();
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ToErrorRecord(Fail("NatNotFound", Core.QemuNetErrorCategory.ObjectNotFound, name, $"There is no NAT network named '{name}'.")));
            }

            foreach (var net in matches)
            {
                WriteObject(Run(ct => manager.RefreshAsync(net, ct)));
            }
        }
    }
}
