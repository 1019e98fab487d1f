using QemuNet.Core.Engine;
using System.Text.Json.Serialization;

namespace QemuNet.Core.Bridge;

public enum QemuBridgePortKind
{
    /// <summary>The physical (or veth) link the bridge was given with -Uplink.</summary>
    Uplink,

    /// <summary>A TAP of a guest the module started.</summary>
    GuestTap,

    Other,
}

public sealed class QemuBridgePort
{
    public required string Name { get; init; }

    public QemuBridgePortKind Kind { get; init; }

    /// <summary>The VM whose TAP this is, for GuestTap ports.</summary>
    public string? Vm { get; init; }

    public override string ToString() => Vm is null ? Name : $"{Name} ({Vm})";
}

/// <summary>
/// A Linux bridge (seed 4.1: brctl addbr/addif/stp). Managed bridges were made by New-QemuBridge and carry a
/// record of how (uplink, STP, forward delay) so Remove-QemuBridge can put the uplink back.
/// </summary>
public sealed record QemuBridge
{
    public required string Name { get; init; }

    /// <summary>Lets a bridge bind to -Bridge/-BridgeName parameters by property name.</summary>
    [JsonIgnore]
    public string BridgeName => Name;

    public string? NetworkNamespace { get; init; }

    public string? Uplink { get; init; }

    public bool Stp { get; init; }

    /// <summary>Seconds (the kernel keeps centiseconds).</summary>
    public int? ForwardDelay { get; init; }

    /// <summary>Kept as a definition in the configuration directory; Restore-QemuNetwork brings it back (one without an uplink) after a reboot.</summary>
    public bool AutoStart { get; init; }

    /// <summary>Made by this module: by New-QemuBridge (removable with Remove-QemuBridge) or for a NAT network.</summary>
    [JsonIgnore]
    public bool Managed { get; set; }

    /// <summary>The NAT network this bridge belongs to (Disable-QemuNat removes it), or null.</summary>
    [JsonIgnore]
    public string? NatNetwork { get; set; }

    /// <summary>What a killed QemuNet command left on this bridge (from its journal), or null.</summary>
    [JsonIgnore]
    public string? Interrupted { get; set; }

    [JsonIgnore]
    public bool Up { get; set; }

    [JsonIgnore]
    public string? MacAddress { get; set; }

    [JsonIgnore]
    public IReadOnlyList<string> Addresses { get; set; } = [];

    [JsonIgnore]
    public IReadOnlyList<QemuBridgePort> Ports { get; set; } = [];

    public override string ToString() => Name;
}

/// <summary>What the host looks like for one bridge and its would-be uplink, read before planning.</summary>
public sealed record BridgeObservation(LinkState? Bridge, LinkState? Uplink, LinkCarry UplinkCarry, LinkCarry BridgeCarry, IReadOnlyList<string> Ports)
{
    /// <summary>The bridge's record as it is on disk (text), or null.</summary>
    public string? RecordText { get; init; }

    /// <summary>The bridge's autostart definition as it is on disk (text), or null.</summary>
    public string? DefinitionText { get; init; }
}
