using System.Management.Automation;
using QemuNet.Core.Engine;
using QemuNet.Core.Bridge;

namespace QemuNet.Commands;

/// <summary>
/// Writes the seed's qemu-ifup (and optionally qemu-ifdown) script for a bridge or a NAT network's bridge,
/// for running QEMU by hand with -netdev tap,script=PATH; or pass it to New-QemuTap -Script.
/// </summary>
[Cmdlet(VerbsData.Export, "QemuIfupScript", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportQemuIfupScriptCommand : QemuCmdlet
{
    private string? _networkNamespace;

    /// <summary>The bridge to attach to; bound by property name from Get-QemuBridge (a piped NAT network uses -Network instead).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BridgeName")]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Bridge { get; set; }

    /// <summary>A NAT network (an object from Enable-QemuNat or Get-QemuNat, or its name): the script attaches to its bridge.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    public QemuNatNetworkArgument? Network { get; set; }

    /// <summary>Where a -Network given by name is looked up (its namespace); the current namespace when left out.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
    [AllowNull]
    [AllowEmptyString]
    public string? NetworkNamespace { get => _networkNamespace; set => _networkNamespace = NotGiven(value); }

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
        var network = Network is null ? null : ResolveNetwork(Network, NetworkNamespace);
        var files = Invoke(() => IfupScript.Files(network?.BridgeName ?? Bridge, network?.Name, up, down, Force));
        var host = Invoke(() => new HostContext(Runner, (string?)null));
        var store = OpenStore();
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
