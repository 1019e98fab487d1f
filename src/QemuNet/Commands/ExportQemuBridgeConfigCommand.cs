using System.Globalization;
using System.Management.Automation;
using System.Text.Json;
using QemuNet.Core;
using QemuNet.Core.Bridge;
using QemuNet.Core.Engine;

namespace QemuNet.Commands;

/// <summary>
/// Writes a bridge that takes over an uplink (New-QemuBridge -Uplink) in the host's own network configuration
/// (systemd-networkd, ifupdown or NetworkManager), so it comes up at boot without fighting the network manager.
/// </summary>
[Cmdlet(VerbsData.Export, "QemuBridgeConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportQemuBridgeConfigCommand : HostCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BridgeName")]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    public QemuBridgeConfigFormat Format { get; set; }

    /// <summary>The folder the files go to; the format's own by default (/etc/systemd/network, /etc/network/interfaces.d, /etc/NetworkManager/system-connections).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The bridge gets its address by DHCP; by default as it has them now (DHCP when its IPv4 address has a lease's lifetime, else those addresses and the default gateway).</summary>
    [Parameter]
    public SwitchParameter Dhcp { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var host = CreateHost();
        var store = OpenStore();
        var manager = new BridgeManager(host, store);
        var bridge = Invoke(() => manager.FindRecord(Name)) ?? throw Terminate(new QemuNetException("BridgeNotManaged", QemuNetErrorCategory.ObjectNotFound, Name,
            $"QemuNet did not create a bridge named '{Name}'{host.Where}, so it does not know its uplink.",
            "Make the bridge with New-QemuBridge -Uplink first (Get-QemuBridge lists them)."));
        var addressing = Dhcp ? new BridgeAddressing(true, [], null) : Run(ct => ObserveAddressingAsync(host, Name, ct));
        var files = Invoke(() => BridgeConfigExport.Render(Format, bridge, addressing));
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path ?? BridgeConfigExport.DefaultFolder(Format));
        var changes = files.Select(f => new HostFileChange(System.IO.Path.Combine(folder, f.FileName), f.Text, f.Mode,
            $"Write the {Format} configuration of bridge {Name}")).ToArray();
        foreach (var change in changes.Where(c => File.Exists(c.Path) && !File.ReadAllText(c.Path).StartsWith("# Written by QemuNet", StringComparison.Ordinal)))
        {
            // The admin's own configuration of that name is theirs.
            throw Terminate(new QemuNetException("BridgeConfigFileExists", QemuNetErrorCategory.ResourceExists, change.Path,
                $"'{change.Path}' exists and was not written by QemuNet, so it is left alone.",
                "Look at it, and move it away or give -Path another folder."));
        }

        var paths = changes.Select(c => c.Path).ToArray();
        var fileHost = Invoke(() => new HostContext(Runner, (string?)null) { Log = QueueVerbose, Warn = QueueWarning });
        var outcome = Run(ct => HostFiles.RunAsync(store, fileHost, HostFiles.JournalName(paths), _ => changes, paths, ConfirmStep, IsWhatIf, ct));
        if (PassThru && outcome is PlanOutcome.Applied or PlanOutcome.NothingToDo)
        {
            foreach (var path in paths)
            {
                WriteObject(InvokeProvider.Item.Get(path), enumerateCollection: true);
            }
        }
    }

    private PipelineStoppedException Terminate(QemuNetException ex)
    {
        ThrowTerminatingError(ToErrorRecord(ex));
        return new PipelineStoppedException();
    }

    /// <summary>The bridge's addresses now: a leased IPv4 address means DHCP; otherwise its static addresses and default gateways.</summary>
    private static async Task<BridgeAddressing> ObserveAddressingAsync(HostContext host, string name, CancellationToken ct)
    {
        var addresses = await LinkCarry.ReadAddressesAsync(host, name, ct).ConfigureAwait(false);
        if (addresses.Any(a => !a.IPv6 && a.ValidLifetime is not null))
        {
            return new BridgeAddressing(true, [], null);
        }

        // SLAAC and temporary addresses are the kernel's, made again from router advertisements.
        var static_ = addresses.Where(a => !a.Dynamic && a.ValidLifetime is null)
            .Select(a => a.Local + "/" + a.PrefixLength.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new BridgeAddressing(false, static_, await GatewayAsync(host, name, "-4", ct).ConfigureAwait(false), await GatewayAsync(host, name, "-6", ct).ConfigureAwait(false));
    }

    private static async Task<string?> GatewayAsync(HostContext host, string name, string family, CancellationToken ct)
    {
        var routes = await host.RunAsync("ip", ["-json", family, "route", "show", "default", "dev", name], ct, throwOnFailure: false).ConfigureAwait(false);
        return routes.Succeeded && routes.StandardOutput.Trim() is { Length: > 0 } text
            ? JsonDocument.Parse(text).RootElement.EnumerateArray().Select(r => r.TryGetProperty("gateway", out var g) ? g.GetString() : null).FirstOrDefault(g => g is not null)
            : null;
    }
}
