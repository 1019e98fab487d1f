using System.Security.Cryptography;
using System.Text;

namespace QemuNet.Core.Model;

/// <summary>Whether QEMU moves the TAP's packets in the kernel (vhost-net).</summary>
public enum QemuVhostMode
{
    /// <summary>On when /dev/vhost-net can be opened, off otherwise; decided when the guest starts.</summary>
    Auto,
    On,
    Off,
}

/// <summary>
/// A TAP backend (seed 4.1, -net tap). Who makes the TAP depends on the options: the module (root, on a
/// -Bridge, removed again when the guest stops), QEMU's bridge helper (-Helper), an ifup script (-Script),
/// or whoever opened the descriptor handed over with -Fd.
/// </summary>
public sealed record QemuTapNet : QemuNetBackend
{
    public const int MaxQueues = 256;

    public override QemuBackendKind Kind => QemuBackendKind.Tap;

    /// <summary>The host-side TAP name; derived from the VM name and NIC index at launch when empty.</summary>
    public string? IfName { get; init; }

    /// <summary>The bridge the TAP joins (with -Helper: the bridge the helper puts it on).</summary>
    public string? Bridge { get; init; }

    /// <summary>The network namespace of the bridge (and so of QEMU).</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Run by QEMU with the TAP name after creating it; none unless given.</summary>
    public string? Script { get; init; }

    /// <summary>Run by QEMU with the TAP name when the guest shuts down; none unless given.</summary>
    public string? DownScript { get; init; }

    /// <summary>The bridge helper QEMU runs to create the TAP (works without root when the helper is privileged).</summary>
    public string? Helper { get; init; }

    /// <summary>A TAP descriptor already open in QEMU's process.</summary>
    public int? Fd { get; init; }

    /// <summary>Send buffer limit in bytes (0: unlimited).</summary>
    public long? SndBuf { get; init; }

    public bool? VnetHdr { get; init; }

    public QemuVhostMode Vhost { get; init; } = QemuVhostMode.Auto;

    /// <summary>Multiqueue: queue pairs of the TAP (the virtio NIC then gets mq=on,vectors=2N+2).</summary>
    public int? Queues { get; init; }

    /// <summary>The module creates the TAP (ip tuntap) and attaches it, rather than QEMU, a script or a helper.</summary>
    public bool ModuleAttaches => Bridge is not null && Helper is null && Script is null && Fd is null;

    /// <summary>
    /// The module opens the TAP itself (/dev/net/tun), attaches it to -Bridge and hands QEMU the descriptor(s) at -Fd
    /// (and on): how QEMU runs without privileges. The TAP lives as long as QEMU holds it.
    /// </summary>
    public bool ModuleOpens => Fd is not null && Bridge is not null;

    /// <summary>Descriptor numbers above this are not handed over (QEMU's default limit is 1024).</summary>
    public const int MaxFd = 1000;

    public static QemuTapNet ForBridge(string bridge, string? networkNamespace) =>
        new QemuTapNet { Bridge = bridge, NetworkNamespace = networkNamespace }.Validate();

    /// <summary>Checks names and numbers, and the combinations QEMU refuses, before QEMU ever sees them.</summary>
    public QemuTapNet Validate()
    {
        if (Id is not null)
        {
            QemuId.Check(Id, "TapIdInvalid");
        }

        if (IfName is not null)
        {
            InterfaceName.Check(IfName, "TapIfNameInvalid");
        }

        if (Bridge is not null)
        {
            InterfaceName.Check(Bridge, "TapBridgeInvalid");
        }

        if (Fd is not null)
        {
            // With -Bridge the module opens the TAP itself (name, queues and vnet headers are its business); without,
            // the descriptor is someone else's and QEMU refuses every option that would make a TAP.
            var clash = Bridge is null
                ? Named(("-IfName", IfName), ("-Script", Script), ("-DownScript", DownScript), ("-Helper", Helper), ("-VnetHdr", VnetHdr), ("-Queues", Queues))
                : Named(("-Script", Script), ("-DownScript", DownScript), ("-Helper", Helper));
            if (clash.Count > 0)
            {
                throw new QemuNetException("TapFdConflict", QemuNetErrorCategory.InvalidArgument, Fd,
                    $"-Fd hands QEMU an open TAP, so {string.Join(", ", clash)} cannot be used with it (QEMU refuses the mix).",
                    "Leave out -Fd, or the other options.");
            }

            var lowest = Bridge is null ? 0 : 3;
            if (Fd < lowest || Fd > MaxFd - (Queues ?? 1) * 2)
            {
                throw new QemuNetException("TapFdInvalid", QemuNetErrorCategory.InvalidArgument, Fd, $"-Fd {Fd} is not a usable descriptor number ({lowest} to {MaxFd - ((Queues ?? 1) * 2)}).",
                    Bridge is null ? "Give -Fd the number of an open TAP file descriptor that QEMU inherits."
                        : "Give -Fd the number QEMU should find the TAP at, from 3 (0 to 2 are its standard input and output).");
            }
        }

        if (Helper is not null)
        {
            var clash = Named(("-IfName", IfName), ("-Script", Script), ("-DownScript", DownScript), ("-VnetHdr", VnetHdr), ("-Queues", Queues));
            if (clash.Count > 0)
            {
                throw new QemuNetException("TapHelperConflict", QemuNetErrorCategory.InvalidArgument, Helper,
                    $"With -Helper the bridge helper creates and names the TAP, so {string.Join(", ", clash)} cannot be used (QEMU refuses the mix).",
                    "Leave out -Helper, or the other options.");
            }

            CheckPath(Helper, "TapHelperInvalid");
        }

        if (Script is not null && Bridge is not null)
        {
            throw new QemuNetException("TapScriptBridgeConflict", QemuNetErrorCategory.InvalidArgument, Script,
                "-Script attaches the TAP itself, so -Bridge would attach it twice.",
                "Use -Script (e.g. one made by Export-QemuIfupScript -Bridge) or -Bridge, not both.");
        }

        CheckPath(Script, "TapScriptInvalid");
        CheckPath(DownScript, "TapScriptInvalid");
        if (SndBuf is < 0)
        {
            throw new QemuNetException("TapSndBufInvalid", QemuNetErrorCategory.InvalidArgument, SndBuf, $"-SndBuf {SndBuf} is negative (0 means unlimited).",
                "Give -SndBuf a size in bytes of 0 or more, or leave it out.");
        }

        CheckHub(Hub, "TapHubInvalid");
        if (Hub is not null && Queues > 1)
        {
            throw new QemuNetException("TapQueuesOnHub", QemuNetErrorCategory.InvalidArgument, Queues,
                $"-Queues {Queues} needs the NIC joined to the TAP directly; on a hub (-Hub {Hub}) frames pass one at a time.",
                "Leave -Hub out for a multiqueue TAP, or -Queues out on a hub.");
        }

        if (Queues is < 1 or > MaxQueues)
        {
            throw new QemuNetException("TapQueuesInvalid", QemuNetErrorCategory.InvalidArgument, Queues, $"-Queues {Queues} is out of range (1 to {MaxQueues}).",
                $"Give -Queues a number from 1 to {MaxQueues}, or leave it out.");
        }

        return this;
    }

    /// <summary>A stable TAP name for NIC <paramref name="index"/> of VM <paramref name="vmName"/>: "qt" + 8 hex digits.</summary>
    public static string DeriveIfName(string vmName, int index) =>
        "qt" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"qemunet-tap/{vmName}/{index}")))[..8];

    public override string ToString()
    {
        var how = Fd is not null ? $"fd {Fd}" : Helper is not null ? "via helper" : Script is not null ? $"script {Script}" : null;
        return $"tap {IfName ?? "(auto)"}" + (Bridge is null ? string.Empty : $" on {Bridge}") + (how is null ? string.Empty : $" ({how})")
            + (Hub is { } hub ? $" on hub {hub}" : string.Empty);
    }

    private static List<string> Named(params (string Name, object? Value)[] options) =>
        options.Where(o => o.Value is not null).Select(o => o.Name).ToList();

    private static void CheckPath(string? path, string errorId)
    {
        if (path is null || path == "no")
        {
            return;
        }

        if (path.Length == 0 || path.Any(char.IsControl))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, path, $"'{path}' is not a usable program path.",
                "Give the full path of a program file, e.g. /etc/qemu-ifup.");
        }
    }
}
