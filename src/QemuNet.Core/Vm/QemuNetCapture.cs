using System.Buffers.Binary;
using System.Text.Json.Serialization;

namespace QemuNet.Core.Vm;

/// <summary>Which traffic of a NIC a capture keeps, seen from the guest.</summary>
public enum QemuCaptureDirection
{
    Both,

    /// <summary>What the guest receives (QEMU's filter queue=tx: what the netdev sends to the NIC).</summary>
    Rx,

    /// <summary>What the guest sends (QEMU's filter queue=rx: what the netdev receives from the NIC).</summary>
    Tx,
}

/// <summary>A pcap capture of one guest NIC's traffic: a filter-dump object on the NIC's netdev.</summary>
public sealed record QemuNetCapture
{
    public required string VmName { get; init; }

    /// <summary>The filter object's id in QEMU.</summary>
    public required string Id { get; init; }

    public required string NicId { get; init; }

    public required string NetdevId { get; init; }

    /// <summary>The pcap file QEMU writes (full path).</summary>
    public required string Path { get; init; }

    public QemuCaptureDirection Direction { get; init; }

    /// <summary>
    /// A mirror (filter-mirror through a chardev) rather than a pcap: the packets go to <see cref="Path"/>, a file of
    /// frames (each a 4-byte big-endian length, then the packet) or a listening unix socket, as QEMU's own
    /// filter-redirector and colo-compare read them.
    /// </summary>
    public bool Mirror { get; init; }

    /// <summary>The chardev a mirror writes through (its id in QEMU); null for a pcap.</summary>
    public string? ChardevId { get; init; }

    public DateTimeOffset StartTime { get; init; }

    /// <summary>Set when Stop-QemuNetCapture removed the filter.</summary>
    [JsonIgnore]
    public DateTimeOffset? StopTime { get; internal set; }

    /// <summary>Packets in the pcap file when it was last read.</summary>
    [JsonIgnore]
    public long Packets { get; internal set; }

    /// <summary>Bytes of packet data in the pcap file (as captured) when it was last read.</summary>
    [JsonIgnore]
    public long Bytes { get; internal set; }

    /// <summary>QEMU's filter queue for <see cref="Direction"/>: filters name queues from the netdev's side.</summary>
    [JsonIgnore]
    public string QemuQueue => QueueOf(Direction);

    public static string QueueOf(QemuCaptureDirection direction) => direction switch
    {
        QemuCaptureDirection.Rx => "tx",
        QemuCaptureDirection.Tx => "rx",
        _ => "all",
    };

    /// <summary>Reads the file's packet and byte counts into the object (a missing or short file, or a socket, counts nothing).</summary>
    public QemuNetCapture Count()
    {
        (Packets, Bytes) = Mirror ? CountFrames(Path) : CountPcap(Path);
        return this;
    }

    /// <summary>Packets and bytes in a file of mirrored frames (4-byte big-endian length, then the packet); a torn last frame is not counted.</summary>
    public static (long Packets, long Bytes) CountFrames(string path)
    {
        // A socket cannot be opened as a file (ENXIO): nothing to count.
        if (Read(path) is not { } data)
        {
            return (0, 0);
        }

        long packets = 0, bytes = 0;
        var offset = 0;
        while (offset + 4 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset, 4));
            if (offset + 4 + (long)length > data.Length)
            {
                break;
            }

            packets++;
            bytes += length;
            offset += 4 + (int)length;
        }

        return (packets, bytes);
    }

    /// <summary>Packets and captured bytes of a pcap file (classic format, either byte order); a torn last record is not counted.</summary>
    public static (long Packets, long Bytes) CountPcap(string path)
    {
        if (Read(path) is not { Length: >= 24 } data)
        {
            return (0, 0);
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        var little = magic is 0xa1b2c3d4 or 0xa1b23c4d;
        if (!little && BinaryPrimitives.ReadUInt32BigEndian(data) is not (0xa1b2c3d4 or 0xa1b23c4d))
        {
            return (0, 0);
        }

        long packets = 0, bytes = 0;
        var offset = 24;
        while (offset + 16 <= data.Length)
        {
            var span = data.AsSpan(offset + 8, 4);
            var captured = little ? BinaryPrimitives.ReadUInt32LittleEndian(span) : BinaryPrimitives.ReadUInt32BigEndian(span);
            if (offset + 16 + (long)captured > data.Length)
            {
                break;
            }

            packets++;
            bytes += captured;
            offset += 16 + (int)captured;
        }

        return (packets, bytes);
    }

    private static byte[]? Read(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public override string ToString() => $"{VmName}/{NicId} {Direction} {(Mirror ? "mirror" : "pcap")} -> {Path}";
}
