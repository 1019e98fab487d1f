using System.Management.Automation;
using QemuNet.Core;
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
        if ((Network?.BridgeName ?? Bridge) is not { } bridge)
        {
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("IfupBridgeMissing", QemuNetErrorCategory.InvalidArgument, null,
                "Export-QemuIfupScript needs the bridge the script attaches TAPs to.", "Give -Bridge br0, or pipe in a NAT network from Get-QemuNat.")));
            return;
        }

        var files = new List<(string Path, string Text)>
        {
            (Resolve(Path), Invoke(() => IfupScript.RenderUp(bridge, Network?.Name))),
        };
        if (DownPath is not null)
        {
            files.Add((Resolve(DownPath), Invoke(() => IfupScript.RenderDown(bridge))));
        }

        foreach (var (path, _) in files.Where(f => File.Exists(f.Path) && !Force))
        {
            ThrowTerminatingError(ToErrorRecord(new QemuNetException("IfupScriptExists", QemuNetErrorCategory.ResourceExists, path,
                $"{path} already exists.", "Add -Force to overwrite it, or choose another -Path.")));
        }

        foreach (var (path, text) in files)
        {
            if (!ShouldProcess(path, $"Write {(path == files[0].Path ? "qemu-ifup" : "qemu-ifdown")} script for bridge {bridge}"))
            {
                continue;
            }

            File.WriteAllText(path, text);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            if (PassThru)
            {
                // Through the provider, so the object carries PSPath and the usual file table.
                WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true);
            }
        }
    }

    private string Resolve(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
