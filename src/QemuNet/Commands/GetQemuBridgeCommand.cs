using QemuNet.Core.Host;
using QemuNet.Core;
using QemuNet.Core.Engine;
using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Lists the bridges of the host (or a namespace) with their ports, naming the guests whose TAPs are on them.</summary>
[Cmdlet(VerbsCommon.Get, "QemuBridge")]
[OutputType(typeof(QemuBridge))]
public sealed class GetQemuBridgeCommand : HostCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var store = OpenStore();
        var manager = new BridgeManager(CreateHost(), store);
        var problems = new List<QemuNetException>();
        var bridges = Run(ct => BridgeInventory.ListAsync(Runner, manager, store, problems, ct));
        problems.ForEach(p => WriteError(ToErrorRecord(p)));
        WriteObject(SelectByName(bridges, Name ?? ["*"], b => b.Name, "BridgeNotFound", name => $"There is no bridge named '{name}'."),
            enumerateCollection: true);
    }
}
