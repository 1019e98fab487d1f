using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

public enum QemuOnOff
{
    On,
    Off,
}

/// <summary>
/// Creates a NAT network (the seed's 4.2): bridge, gateway address, IPv4 forwarding, masquerade and forward
/// rules, dnsmasq DHCP/DNS. Running it again changes nothing.
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "QemuNat", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias("Enable-QemuNetwork")]
[OutputType(typeof(QemuNatNetwork))]
public sealed class EnableQemuNatCommand : NatCmdlet
{
    private string? _domainName;

    private string? _uplink;

    private string? _subnet6;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Subnet { get; set; } = QemuNatNetwork.DefaultSubnet;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Bridge")]
    [ValidateNotNullOrEmpty]
    public string? BridgeName { get; set; }

    /// <summary>Masquerade only out of this interface (all by default).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NatUplinkCompleter))]
    [AllowNull]
    [AllowEmptyString]
    public string? Uplink { get => _uplink; set => _uplink = NotGiven(value); }

    /// <summary>First and last DHCP address; the subnet's .2 to the last host by default.</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    public string[]? DhcpRange { get; set; }

    [Parameter]
    public SwitchParameter NoDhcp { get; set; }

    /// <summary>Nat (masquerade), Routed (the guests' own addresses; the LAN routes the subnet here) or Isolated (no forwarding).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public QemuNetworkMode Mode { get; set; } = QemuNetworkMode.Nat;

    /// <summary>The bridge's MTU, handed to guests by DHCP; their TAPs take the bridge's.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Mtu { get; set; }

    /// <summary>The network's IPv6 /64 (dual stack): SLAAC and DHCPv6 for the guests, NAT66 in Nat mode.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Subnet6 { get => _subnet6; set => _subnet6 = NotGiven(value); }

    /// <summary>Dual stack with a unique-local /64 derived from the network's name and this host's machine-id.</summary>
    [Parameter]
    public SwitchParameter Ipv6 { get; set; }

    /// <summary>Static routes for the guests, "DESTINATION via GATEWAY" (a routed network's host installs them too).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Routes")]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? Route { get; set; }

    /// <summary>Name servers dnsmasq forwards to, instead of the host's resolv.conf.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("DnsForwarders")]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? DnsForwarder { get; set; }

    [Parameter]
    public QemuOnOff Dns { get; set; } = QemuOnOff.On;

    /// <summary>Keeps the network's definition in the configuration directory, so Restore-QemuNetwork brings it back after a reboot.</summary>
    [Parameter]
    public SwitchParameter AutoStart { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? DomainName { get => _domainName; set => _domainName = NotGiven(value); }

    protected override void ProcessRecord()
    {
        var wanted = Invoke(() => QemuNatNetwork.Create(Name, Subnet, BridgeName, Uplink, DhcpRange?[0], DhcpRange?[1],
            !NoDhcp, Dns == QemuOnOff.On, DomainName, NetworkNamespace, Mode, Mtu,
            Subnet6 ?? (Ipv6 ? Ipv6Prefix.DeriveUniqueLocal(Name, Ipv6Prefix.ReadMachineId()).ToString() : null),
            Route, DnsForwarder) with { AutoStart = AutoStart });
        var manager = CreateManager();
        var result = Run(ct => manager.EnableAsync(wanted, ConfirmStep, IsWhatIf, ct));
        if (result is null)
        {
            return;
        }

        if (result.Mode == QemuNetworkMode.Routed)
        {
            WriteWarning($"Network '{result.Name}' is routed: its guests keep their own addresses, so other hosts reach them (and answer them) only when "
                + $"the LAN's router sends {result.Subnet} to this host (e.g. 'ip route add {result.Subnet} via <this host's LAN address>').");
        }

        if (result.Subnet6 is not null && result.Mode != QemuNetworkMode.Isolated)
        {
            foreach (var warning in Run(ct => manager.FindIgnoredRouterAdvertisementsAsync(ct)))
            {
                WriteWarning(warning);
            }
        }

        if (result.Mode != QemuNetworkMode.Isolated)
        {
            foreach (var warning in Run(ct => manager.FindForwardDropsAsync(result, ct)))
            {
                WriteWarning(warning);
            }
        }

        WriteObject(result);
    }
}
