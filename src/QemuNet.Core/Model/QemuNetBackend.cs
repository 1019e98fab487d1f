using System.Text.Json.Serialization;

namespace QemuNet.Core.Model;

public enum QemuBackendKind
{
    User,
    Tap,
}

/// <summary>The host side of a guest NIC (QEMU's -netdev).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(QemuUserNet), "user")]
[JsonDerivedType(typeof(QemuTapNet), "tap")]
public abstract record QemuNetBackend
{
    /// <summary>The netdev id; assigned (net0, net1, …) at launch when left empty.</summary>
    public string? Id { get; init; }

    public abstract QemuBackendKind Kind { get; }
}
