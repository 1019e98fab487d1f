using System.Text.Json.Serialization;

namespace QemuNet.Core.Model;

/// <summary>A guest NIC: a device model plus the backend it talks to (user-mode when none is given).</summary>
public sealed record QemuNic
{
    /// <summary>The model as named (seed name or device name), e.g. virtio or e1000.</summary>
    public string Model { get; init; } = QemuNicModels.DefaultModel;

    /// <summary>The -device driver the model maps to.</summary>
    public string Device => QemuNicModels.ToDevice(Model);

    /// <summary>Empty until launch, which derives a stable one from the VM name and NIC index.</summary>
    public string? MacAddress { get; init; }

    /// <summary>The device id (the seed's name=).</summary>
    public string? Id { get; init; }

    /// <summary>The guest PCI address (addr=), canonical "ss.f".</summary>
    public string? PciAddress { get; init; }

    /// <summary>MSI-X vectors (virtio only; 0 turns MSI-X off).</summary>
    public int? Vectors { get; init; }

    public int? BootIndex { get; init; }

    public QemuNetBackend? Backend { get; init; }

    public static QemuNic Create(string model, string? macAddress, string? id, string? pciAddress, int? vectors, int? bootIndex,
        QemuNetBackend? backend, IReadOnlyCollection<string> knownModels)
    {
        var device = QemuNicModels.ToDevice(model);
        if (!knownModels.Contains(device, StringComparer.OrdinalIgnoreCase))
        {
            throw new QemuNetException("NicModelUnknown", QemuNetErrorCategory.InvalidArgument, model,
                $"'{model}' is not a NIC model QEMU knows. Known models: virtio, {string.Join(", ", knownModels.Order(StringComparer.Ordinal))}.",
                "Run Get-QemuNicModel to list the models of the installed QEMU.");
        }

        if (vectors is not null && !QemuNicModels.IsVirtio(device))
        {
            throw new QemuNetException("NicVectorsNotVirtio", QemuNetErrorCategory.InvalidArgument, vectors,
                $"-Vectors sets MSI-X vectors of virtio NICs only; '{model}' is not virtio.",
                "Leave -Vectors out, or use -Model virtio.");
        }

        if (vectors is < 0 or > 1024)
        {
            throw new QemuNetException("NicVectorsInvalid", QemuNetErrorCategory.InvalidArgument, vectors,
                $"-Vectors {vectors} is out of range (0 to 1024; 0 turns MSI-X off).",
                "Give -Vectors a number from 0 to 1024, or leave it out for QEMU's default.");
        }

        if (bootIndex is < 0 or > 1000)
        {
            throw new QemuNetException("NicBootIndexInvalid", QemuNetErrorCategory.InvalidArgument, bootIndex,
                $"-BootIndex {bootIndex} is out of range (0 to 1000).",
                "Give -BootIndex a number from 0 to 1000 (lower boots first).");
        }

        return new QemuNic
        {
            Model = model.Equals("virtio", StringComparison.OrdinalIgnoreCase) ? "virtio" : device,
            MacAddress = macAddress is null ? null : QemuNet.Core.Model.MacAddress.Normalize(macAddress),
            Id = id is null ? null : QemuId.Check(id, "NicIdInvalid"),
            PciAddress = pciAddress is null ? null : QemuNet.Core.Model.PciAddress.Normalize(pciAddress),
            Vectors = vectors,
            BootIndex = bootIndex,
            Backend = backend,
        };
    }

    [JsonIgnore]
    public string? Mac => MacAddress;

    /// <summary>The backend as one line of JSON: what Export-Csv can keep of it, and what Start-QemuVm rebuilds it from.</summary>
    [JsonIgnore]
    public string? BackendSpec => SavedSpec.ToText(Backend);

    public override string ToString() => $"{Model} {MacAddress} on {Backend?.ToString() ?? "user"}".Replace("  ", " ", StringComparison.Ordinal);
}
