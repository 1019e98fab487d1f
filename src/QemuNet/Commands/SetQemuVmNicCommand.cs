using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Plugs a running guest's network cable in or pulls it (QMP set_link): the guest sees its carrier go 1 or 0.</summary>
[Cmdlet(VerbsCommon.Set, "QemuVmNic", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuVmNicStatus))]
public sealed class SetQemuVmNicCommand : VmNetCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string Id { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    public QemuLinkState LinkState { get; set; }

    /// <summary>Write the NIC as QEMU then has it.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        var vm = Change(ct => manager.SetNicLinkAsync(VmName, Id, LinkState, ConfirmStep, IsWhatIf, ct));
        if (vm is not null && PassThru && RunOrWriteError(ct => manager.GetNicStatusAsync(vm, ct), PerInputErrors) is { } nics)
        {
            WriteObject(nics.Where(n => n.Id == Id), enumerateCollection: true);
        }
    }
}
