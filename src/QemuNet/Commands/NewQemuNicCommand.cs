using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Commands;

/// <summary>Describes a guest NIC (the seed's `-net nic`): model, MAC, id, PCI address, MSI-X vectors, boot order, backend.</summary>
[Cmdlet(VerbsCommon.New, "QemuNic")]
[OutputType(typeof(QemuNic))]
public sealed class NewQemuNicCommand : QemuCmdlet
{
    private string _model = QemuNicModels.DefaultModel;

    /// <summary>Empty (a CSV cell) means the default model.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NicModelCompleter))]
    [EmptyAsNull]
    [AllowNull]
    public string Model { get => _model; set => _model = value ?? QemuNicModels.DefaultModel; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Mac", "MacAddr")]
    [EmptyAsNull]
    public string? MacAddress { get; set; }

    /// <summary>Not bound by property name: a piped backend's own Id must not become the NIC's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Addr")]
    [EmptyAsNull]
    public string? PciAddress { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    public int? Vectors { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    public int? BootIndex { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public QemuNetBackend? Backend { get; set; }

    /// <summary>A NAT network from Enable-QemuNat/Get-QemuNat: the NIC gets a TAP on its bridge.</summary>
    [Parameter(ValueFromPipeline = true)]
    public QemuNatNetwork? Network { get; set; }

    protected override void ProcessRecord()
    {
        var known = new HashSet<string>(QemuNicModels.KnownDevices, StringComparer.OrdinalIgnoreCase);
        if (!known.Contains(QemuNicModels.ToDevice(Model)))
        {
            // Not a name the module knows: the installed QEMU may still have it (a newer release).
            known.UnionWith(InstalledDevices());
        }

        var backend = Backend ?? (Network is null ? null : QemuTapNet.ForBridge(Network.BridgeName, Network.NetworkNamespace));
        WriteObject(Invoke(() => QemuNic.Create(Model, MacAddress, Id, PciAddress, Vectors, BootIndex, backend, known)));
    }

    private IEnumerable<string> InstalledDevices()
    {
        try
        {
            var qemu = QemuBinary.Resolve(null);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(CancelToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            return QemuCapabilities.ProbeAsync(Runner, qemu, cts.Token).GetAwaiter().GetResult().NicModels.Select(m => m.Device).ToArray();
        }
        catch (QemuNetException)
        {
            return [];
        }
        finally
        {
            FlushMessages();
        }
    }
}
