using System.Management.Automation;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Stops a packet capture (QMP object-del) and writes it with the packets and bytes its pcap file holds.</summary>
[Cmdlet(VerbsLifecycle.Stop, "QemuNetCapture", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QemuNetCapture))]
public sealed class StopQemuNetCaptureCommand : VmNetCmdlet
{
    /// <summary>The capture's id (cap0, … as Get-QemuNetCapture shows).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CaptureIdCompleter))]
    public string Id { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        var manager = CreateManager();
        if (Change(ct => manager.StopCaptureAsync(VmName, Id, ConfirmStep, IsWhatIf, ct)) is { } capture && !IsWhatIf)
        {
            WriteObject(capture);
        }
    }
}
