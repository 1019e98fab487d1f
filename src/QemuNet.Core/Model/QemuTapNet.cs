using System.Security.Cryptography;
using System.Text;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Model;

/// <summary>
/// A TAP backend. With a bridge, QEMU creates the TAP (ifname=, script=no) and the module attaches it to
/// the bridge right after QEMU starts; the TAP is not persistent, so it goes away with the guest.
/// </summary>
public sealed class QemuTapNet : QemuNetBackend
{
    public override QemuBackendKind Kind => QemuBackendKind.Tap;

    /// <summary>The host-side TAP name; derived from the VM name and NIC index at launch when empty.</summary>
    public string? IfName { get; init; }

    /// <summary>The bridge the TAP joins.</summary>
    public string? Bridge { get; init; }

    /// <summary>The network namespace of the bridge (and so of QEMU).</summary>
    public string? NetworkNamespace { get; init; }

    public static QemuTapNet ForBridge(string bridge, string? networkNamespace) => new()
    {
        Bridge = InterfaceName.Check(bridge, "TapBridgeInvalid"),
        NetworkNamespace = networkNamespace,
    };

    /// <summary>A stable TAP name for NIC <paramref name="index"/> of VM <paramref name="vmName"/>: "qt" + 8 hex digits.</summary>
    public static string DeriveIfName(string vmName, int index) =>
        "qt" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"qemunet-tap/{vmName}/{index}")))[..8];

    public QemuTapNet WithIfName(string ifName) => new() { Id = Id, IfName = ifName, Bridge = Bridge, NetworkNamespace = NetworkNamespace };

    internal override void WriteNetdevOptions(QemuOptionBuilder options, string id)
    {
        options.Add("tap");
        options.Add("id", id);
        options.Add("ifname", IfName);
        // QEMU would otherwise run /etc/qemu-ifup; the module attaches the TAP itself.
        options.Add("script", "no");
        options.Add("downscript", "no");
    }

    public override string ToString() => $"tap {IfName ?? "(auto)"}" + (Bridge is null ? string.Empty : $" on {Bridge}");
}
