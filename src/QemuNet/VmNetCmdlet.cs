using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>Base for the cmdlets that work on the network of one running guest, named by -VmName (or piped: its Name or VmName).</summary>
public abstract class VmNetCmdlet : QemuCmdlet
{
    /// <summary>Errors of one input that leave the next input to run.</summary>
    protected static readonly string[] PerInputErrors =
    [
        "VmNotFound", "VmNotRunning", "VmNicNotFound", "VmNicNotUserMode", "VmNicAmbiguous", "VmNicCaptureActive", "VmNicNotHotpluggable",
        "VmNicBackendNotHotpluggable", "VmNicNamespaceMismatch", "VmNicUnplugTimeout", "VmHostPortInUse", "VmHostForwardNotFound",
        "VmHostForwardAmbiguous", "NicIdDuplicate", "NicMacDuplicate", "NicPciAddressDuplicate", "NetdevIdDuplicate", "UserNetHostPortDuplicate",
        "UserNetGuestAddressInvalid", "TapQueuesNotVirtio", "TapNameInUse", "TapBridgeNotFound", "CaptureNotFound", "CaptureIdDuplicate",
        "CapturePathInUse", "CaptureFileExists", "CaptureFolderNotFound", "QmpCommandFailed", "QmpIdDuplicate", "QmpObjectNotFound",
        "QmpUnreachable", "HostStepFailed",
    ];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string VmName { get; set; } = string.Empty;

    protected QemuVmManager CreateManager() => new(Runner, StateDirectory.Resolve(), QueueVerbose) { Warn = QueueWarning };

    /// <summary>The VM as it stands; VmNotFound (written, not thrown) when there is none.</summary>
    protected QemuVm? FindVm(QemuVmManager manager)
    {
        if (Invoke(() => manager.Find(VmName)) is { } vm)
        {
            return vm;
        }

        WriteError(ToErrorRecord(QemuVmManager.NotFound(VmName)));
        return null;
    }

    /// <summary>Runs a change of the guest; errors of <see cref="PerInputErrors"/> are written so the next input runs.</summary>
    protected T? Change<T>(Func<CancellationToken, Task<T>> change) => RunOrWriteError(change, PerInputErrors);
}
