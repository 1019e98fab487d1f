using System.Management.Automation;
using QemuNet.Core.Model;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Removes a user-mode host forward from a running guest (HMP hostfwd_remove): the host port is closed at once.</summary>
[Cmdlet(VerbsCommon.Remove, "QemuVmHostForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuVmHostForward))]
public sealed class RemoveQemuVmHostForwardCommand : VmNetCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int HostPort { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public QemuForwardProtocol Protocol { get; set; } = QemuForwardProtocol.Tcp;

    /// <summary>Needed only when the port is forwarded on several host addresses.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? HostAddress { get; set; }

    /// <summary>The user-mode NIC (needed only when several forward the port).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("NicId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string? Id { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        var (_, removed) = Change(ct => manager.RemoveHostForwardAsync(VmName, Id, Protocol, HostAddress, HostPort, ConfirmStep, IsWhatIf, ct));
        if (removed is not null && PassThru && !IsWhatIf)
        {
            WriteObject(removed);
        }
    }
}
