using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Adds user-mode host forwards to a running guest (HMP hostfwd_add): a host port starts serving the guest's port
/// at once. Checked as New-QemuUserNet -HostForward and Start-QemuVm check them, before QEMU is asked.
/// </summary>
[Cmdlet(VerbsCommon.Add, "QemuVmHostForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuVmHostForward))]
public sealed class AddQemuVmHostForwardCommand : VmNetCmdlet
{
    /// <summary>As for New-QemuUserNet: "tcp:127.0.0.1:8080-:80", "8080:80", "udp/5353:53", or a hashtable; 127.0.0.1 unless a host address is given.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public object[] HostForward { get; set; } = [];

    /// <summary>The user-mode NIC (needed only when the guest has several).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("NicId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string? Id { get; set; }

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        foreach (var value in HostForward)
        {
            var forward = Invoke(() => HostForwardArgument.Convert(value));
            var (_, added) = Change(ct => manager.AddHostForwardAsync(VmName, Id, forward, ConfirmStep, IsWhatIf, ct));
            if (added is not null && !IsWhatIf)
            {
                WriteObject(added);
            }
        }
    }
}
