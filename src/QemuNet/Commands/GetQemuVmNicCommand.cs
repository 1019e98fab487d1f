using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Lists a running guest's NICs as QEMU has them (qom-list/qom-get, HMP info network, and query-rx-filter where the
/// device supports it) beside the VM's record: a NIC in only one of them, or a MAC that differs, shows in Drift.
/// </summary>
[Cmdlet(VerbsCommon.Get, "QemuVmNic")]
[OutputType(typeof(QemuVmNicStatus))]
public sealed class GetQemuVmNicCommand : VmNetCmdlet
{
    /// <summary>Only these NICs (wildcards allowed).</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        if (FindVm(manager) is not { } vm)
        {
            return;
        }

        if (RunOrWriteError(ct => manager.GetNicStatusAsync(vm, ct), "VmNotRunning", "QmpUnreachable") is not { } nics)
        {
            return;
        }

        WriteObject(Id is null ? nics : SelectByName(nics, Id, n => n.Id, "VmNicNotFound", id => $"VM '{vm.Name}' has no NIC '{id}'."), enumerateCollection: true);
    }
}
