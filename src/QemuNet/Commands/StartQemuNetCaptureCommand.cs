using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Captures a running guest NIC's packets to a pcap file (a QEMU filter-dump object on its netdev). -Direction is
/// seen from the guest: Rx what it receives, Tx what it sends, Both.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "QemuNetCapture", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QemuNetCapture))]
public sealed class StartQemuNetCaptureCommand : VmNetCmdlet
{
    /// <summary>The NIC to capture (nic0, …).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VmNicIdCompleter))]
    public string Id { get; set; } = string.Empty;

    /// <summary>The pcap file to write (QEMU, which runs as this user, creates it).</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    public QemuCaptureDirection Direction { get; set; } = QemuCaptureDirection.Both;

    /// <summary>The capture's name in QEMU (cap0, cap1, … when left out).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaptureId { get; set; }

    /// <summary>
    /// Mirror the packets (QEMU filter-mirror) instead of writing a pcap: to a unix socket that listens at -Path,
    /// or else to a file of frames (a 4-byte big-endian length, then the packet), as QEMU's filter-redirector reads them.
    /// </summary>
    [Parameter]
    public SwitchParameter Mirror { get; set; }

    /// <summary>Overwrite the file when it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        var folder = System.IO.Path.GetDirectoryName(path);
        if (folder is null || !Directory.Exists(folder))
        {
            WriteError(ToErrorRecord(new QemuNetException("CaptureFolderNotFound", QemuNetErrorCategory.ObjectNotFound, Path,
                $"The folder of {path} does not exist.", "Create the folder first, or give -Path a file in an existing folder.")));
            return;
        }

        var listening = Mirror && Core.Engine.NativeMethods.LStat(path) is { IsSocket: true };
        if (!listening && File.Exists(path) && !Force)
        {
            WriteError(ToErrorRecord(new QemuNetException("CaptureFileExists", QemuNetErrorCategory.ResourceExists, Path,
                $"{path} exists; a capture would overwrite it.", "Give -Path a new file, or add -Force to overwrite it.")));
            return;
        }

        var manager = CreateManager();
        var (_, capture) = Change(ct => manager.StartCaptureAsync(VmName, Id, path, Direction, CaptureId, Mirror, ConfirmStep, IsWhatIf, ct));
        if (capture is not null && !IsWhatIf)
        {
            WriteObject(capture);
        }
    }
}
