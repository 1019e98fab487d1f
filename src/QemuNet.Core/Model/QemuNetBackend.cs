using System.Text.Json.Serialization;

namespace QemuNet.Core.Model;

public enum QemuBackendKind
{
    User,
    Tap,
    Socket,
}

/// <summary>The host side of a guest NIC (QEMU's -netdev).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(QemuUserNet), "user")]
[JsonDerivedType(typeof(QemuTapNet), "tap")]
[JsonDerivedType(typeof(QemuSocketNet), "socket")]
public abstract record QemuNetBackend
{
    /// <summary>The netdev id; assigned (net0, net1, …) at launch when left empty.</summary>
    public string? Id { get; init; }

    public abstract QemuBackendKind Kind { get; }

    /// <summary>
    /// The old -net vlan=n: the backend joins QEMU hub n, and so does every NIC on it; NICs and backends on one hub
    /// all hear each other. Equal backends on one hub are one backend, so several NICs can share it.
    /// </summary>
    public int? Hub { get; init; }

    protected static void CheckHub(int? hub, string errorId)
    {
        if (hub is < 0 or > MaxHub)
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, hub, $"-Hub {hub} is out of range (0 to {MaxHub}).",
                $"Give -Hub a hub number from 0 to {MaxHub}, or leave it out.");
        }
    }

    /// <summary>QEMU takes any int; a bound keeps hub port names short.</summary>
    public const int MaxHub = 65535;
}
