using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Lists a guest's user-mode host forwards from its record; Active says whether QEMU has each (HMP info usernet).</summary>
[Cmdlet(VerbsCommon.Get, "QemuVmHostForward")]
[OutputType(typeof(QemuVmHostForward))]
public sealed class GetQemuVmHostForwardCommand : VmNetCmdlet
{
    /// <summary>Only the forwards of this user-mode NIC.</summary>
    [Parameter]
    [Alias("NicId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string? Id { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        if (FindVm(manager) is not { } vm || RunOrWriteError(ct => manager.GetHostForwardsAsync(vm, ct), "QmpUnreachable") is not { } forwards)
        {
            return;
        }

        WriteObject(forwards.Where(f => Id is null || f.NicId == Id), enumerateCollection: true);
    }
}
