namespace QemuNet.Core.Vm;

public enum QemuLinkState
{
    Up,
    Down,
}

/// <summary>One NIC of a running guest as QEMU sees it, beside what the VM's record says, so drift between them shows.</summary>
public sealed record QemuVmNicStatus
{
    public required string VmName { get; init; }

    public required string Id { get; init; }

    /// <summary>The -device driver (e.g. virtio-net-pci).</summary>
    public string? Device { get; init; }

    public string? MacAddress { get; init; }

    public string? NetdevId { get; init; }

    /// <summary>The backend as QEMU describes it (HMP info network), e.g. "user,net=10.0.2.0,restrict=off".</summary>
    public string? Backend { get; init; }

    /// <summary>As set by Set-QemuVmNic (QEMU reports link state nowhere else).</summary>
    public QemuLinkState LinkState { get; init; }

    public bool InRecord { get; init; }

    public bool InQemu { get; init; }

    /// <summary>What differs between the record and QEMU; null when they agree.</summary>
    public string? Drift { get; init; }

    /// <summary>From query-rx-filter where the device supports it (virtio does; e1000 does not): null otherwise.</summary>
    public bool? Promiscuous { get; init; }

    public IReadOnlyList<string>? MulticastTable { get; init; }

    public string? Unicast { get; init; }

    public string? Multicast { get; init; }

    public bool? BroadcastAllowed { get; init; }

    public override string ToString() => $"{VmName}/{Id}";
}

/// <summary>A user-mode host forward of a guest, from its record; <see cref="Active"/> says whether QEMU has it (HMP info usernet).</summary>
public sealed record QemuVmHostForward
{
    public required string VmName { get; init; }

    public required string NicId { get; init; }

    public required string NetdevId { get; init; }

    public required Model.QemuHostForward Forward { get; init; }

    public Model.QemuForwardProtocol Protocol => Forward.Protocol;

    public string HostAddress => Forward.HostAddress;

    public int HostPort => Forward.HostPort;

    public string? GuestAddress => Forward.GuestAddress;

    public int GuestPort => Forward.GuestPort;

    /// <summary>True when QEMU has the forward, false when the record has it but QEMU does not, null when the VM does not run.</summary>
    public bool? Active { get; init; }

    public override string ToString() => Forward.ToString();
}
