using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// Describes a TAP backend (the seed's -net tap): on a bridge the module creates and attaches it, with -Helper
/// QEMU's bridge helper does (no root needed), with -Script an ifup script does; -Fd takes an open TAP.
/// </summary>
[Cmdlet(VerbsCommon.New, "QemuTap")]
[OutputType(typeof(QemuTapNet))]
public sealed class NewQemuTapCommand : QemuCmdlet
{
    private string? _networkNamespace;

    /// <summary>The bridge to join; bound by property name from New-/Get-QemuBridge and NAT network objects.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BridgeName")]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Bridge { get; set; }

    /// <remarks>Null or empty (as piped from an object in the current namespace) means the current namespace.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
    [AllowNull]
    [AllowEmptyString]
    public string? NetworkNamespace { get => _networkNamespace; set => _networkNamespace = NotGiven(value); }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IfName { get; set; }

    /// <summary>Run by QEMU with the TAP name once it exists (default: none, unlike QEMU's /etc/qemu-ifup).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Script { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DownScript { get; set; }

    /// <summary>The bridge helper program; give -UseHelper instead to use the one installed with QEMU.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Helper { get; set; }

    [Parameter]
    public SwitchParameter UseHelper { get; set; }

    [Parameter]
    public int Fd { get; set; }

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long SndBuf { get; set; }

    [Parameter]
    public SwitchParameter VnetHdr { get; set; }

    /// <summary>The seed's vlan=n: the TAP and its NIC meet on QEMU hub n.</summary>
    [Parameter]
    [Alias("Vlan")]
    public int Hub { get; set; }

    [Parameter]
    public QemuVhostMode Vhost { get; set; } = QemuVhostMode.Auto;

    [Parameter]
    public int Queues { get; set; }

    /// <summary>The netdev id (the seed's name=).</summary>
    [Parameter]
    [Alias("NetdevName")]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    protected override void ProcessRecord()
    {
        string? helper = null;
        // The exclusions between these options are checked by Validate, with the module's own error ids.
        if (UseHelper || Helper is not null)
        {
            helper = Invoke(() => BridgeHelper.Require(Helper is null ? null : FullPath(Helper))).Path;
        }

        var bound = MyInvocation.BoundParameters;
        var tap = new QemuTapNet
        {
            Id = Id,
            IfName = IfName,
            Bridge = Bridge,
            NetworkNamespace = NetworkNamespace,
            Script = Script is null or "no" ? null : FullPath(Script),
            DownScript = DownScript is null or "no" ? null : FullPath(DownScript),
            Helper = helper,
            Fd = bound.ContainsKey(nameof(Fd)) ? Fd : null,
            SndBuf = bound.ContainsKey(nameof(SndBuf)) ? SndBuf : null,
            VnetHdr = bound.ContainsKey(nameof(VnetHdr)) ? VnetHdr.IsPresent : null,
            Hub = bound.ContainsKey(nameof(Hub)) ? Hub : null,
            Vhost = Vhost,
            Queues = bound.ContainsKey(nameof(Queues)) ? Queues : null,
        };
        WriteObject(Invoke(tap.Validate));
    }

    private string FullPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
