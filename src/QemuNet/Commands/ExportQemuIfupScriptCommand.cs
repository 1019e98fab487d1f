using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// Writes the seed's qemu-ifup (and optionally qemu-ifdown) script for a bridge or a NAT network's bridge,
/// for running QEMU by hand with -netdev tap,script=PATH; or pass it to New-QemuTap -Script.
/// </summary>
[Cmdlet(VerbsData.Export, "QemuIfupScript", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportQemuIfupScriptCommand : QemuCmdlet
{
    /// <summary>The bridge to attach to; bound by property name from Get-QemuBridge (a piped NAT network uses -Network instead).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BridgeName")]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Bridge { get; set; }

    /// <summary>A NAT network (from Enable-QemuNat or Get-QemuNat): the script attaches to its bridge.</summary>
    [Parameter(ValueFromPipeline = true)]
    public QemuNatNetwork? Network { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DownPath { get; set; }

    /// <summary>Overwrite existing files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var up = Resolve(Path);
        var down = DownPath is null ? null : Resolve(DownPath);
        var files = Invoke(() => IfupScript.Files(Network?.BridgeName ?? Bridge, Network?.Name, up, down, Force));
        var host = Invoke(() => new HostContext(Runner, (string?)null));
        var store = Invoke(StateDirectory.Open);
        var paths = files.Select(f => f.Path).ToArray();
        var outcome = Run(ct => HostFiles.RunAsync(store, host, HostFiles.JournalName(paths), _ => files, paths,
            step => OnPipelineThread(() => ShouldProcess(step.Target, step.Action)), IsWhatIf, ct));
        if (PassThru && outcome is PlanOutcome.Applied or PlanOutcome.NothingToDo)
        {
            foreach (var path in paths)
            {
                // Through the provider, so the object carries PSPath and the usual file table.
                WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true);
            }
        }
    }

    private string Resolve(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
