namespace QemuNet.Core.Model;

/// <summary>A NIC model a QEMU binary can emulate.</summary>
public sealed class QemuNicModel
{
    /// <summary>The name the seed document and `-net nic,model=` use (virtio for virtio-net-pci).</summary>
    public required string Name { get; init; }

    /// <summary>The -device driver name.</summary>
    public required string Device { get; init; }

    public bool IsVirtio { get; init; }

    public string? Bus { get; init; }

    public string? Description { get; init; }

    public override string ToString() => Name;
}

/// <summary>Names of NIC models, and the seed's short names for them.</summary>
public static class QemuNicModels
{
    public const string DefaultModel = "virtio";

    /// <summary>The models the seed lists (qemu-kvm's `-net nic,model=?`).</summary>
    public static readonly IReadOnlyList<string> SeedModels =
        ["virtio", "e1000", "rtl8139", "ne2k_pci", "pcnet", "i82551", "i82557b", "i82559er"];

    /// <summary>
    /// NIC devices of current QEMU releases (7.x to 9.x), so a spec can be built without asking a binary;
    /// Start-QemuVm still checks the model against the binary it runs.
    /// </summary>
    public static readonly IReadOnlyList<string> KnownDevices =
    [
        "e1000", "e1000-82544gc", "e1000-82545em", "e1000e", "i82550", "i82551", "i82557a", "i82557b", "i82557c",
        "i82558a", "i82558b", "i82559a", "i82559b", "i82559c", "i82559er", "i82562", "i82801", "igb", "ne2k_pci",
        "pcnet", "rtl8139", "tulip", "virtio-net-pci", "virtio-net-pci-non-transitional", "virtio-net-pci-transitional",
        "vmxnet3",
    ];

    /// <summary>Maps a seed or legacy model name to the -device driver (virtio → virtio-net-pci); other names pass through.</summary>
    public static string ToDevice(string model) =>
        model.Equals("virtio", StringComparison.OrdinalIgnoreCase) || model.Equals("virtio-net", StringComparison.OrdinalIgnoreCase)
            ? "virtio-net-pci"
            : model.ToLowerInvariant();

    public static string ToSeedName(string device) => device == "virtio-net-pci" ? "virtio" : device;

    public static bool IsVirtio(string device) => device.StartsWith("virtio-net", StringComparison.Ordinal);
}
