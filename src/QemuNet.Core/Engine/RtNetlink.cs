using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace QemuNet.Core.Engine;

/// <summary>One link as the kernel reports it over rtnetlink: what deciding whether it is ours needs.</summary>
public sealed record NetlinkLink(int Index, string Name, string? MacAddress, string? Alias);

/// <summary>
/// Looks up and deletes a link over rtnetlink in this process, in the calling thread's network namespace (the
/// socket belongs to the namespace it was made in): no program started. A delete names the link by its index, so a
/// link that was replaced by another of the same name since the look is never the one deleted.
/// </summary>
public static class RtNetlink
{
    private const int NetlinkRoute = 0;
    private const ushort NlmsgError = 2;
    private const ushort RtmNewLink = 16;
    private const ushort RtmDelLink = 17;
    private const ushort RtmGetLink = 18;
    private const ushort NlmFRequest = 1;
    private const ushort NlmFAck = 4;
    private const ushort IflaAddress = 1;
    private const ushort IflaIfName = 3;
    private const ushort IflaIfAlias = 20;
    private const int Enodev = 19;
    private const int HeaderLength = 16;
    private const int IfInfoLength = 16;

    /// <summary>The link named <paramref name="name"/>, or null when there is none.</summary>
    public static NetlinkLink? GetLink(string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        var attributeLength = 4 + nameBytes.Length;
        var request = NewRequest(RtmGetLink, NlmFRequest, 0, Align(attributeLength));
        var at = HeaderLength + IfInfoLength;
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(at), (ushort)attributeLength);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(at + 2), IflaIfName);
        nameBytes.CopyTo(request, at + 4);
        var (type, reply) = Exchange(request);
        if (type == NlmsgError)
        {
            var errno = -BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(HeaderLength));
            return errno == Enodev ? null : throw Failed($"look up link {name}", errno);
        }

        return type == RtmNewLink ? ParseLink(reply) : throw new IOException($"rtnetlink answered the look-up of link {name} with message type {type}.");
    }

    /// <summary>Deletes the link with <paramref name="index"/>; false when no link has that index any more.</summary>
    public static bool DeleteLink(int index, string name)
    {
        var request = NewRequest(RtmDelLink, NlmFRequest | NlmFAck, index, 0);
        var (type, reply) = Exchange(request);
        var errno = type == NlmsgError ? -BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(HeaderLength)) : -1;
        return errno switch
        {
            0 => true,
            Enodev => false,
            _ => throw Failed($"delete link {name} (index {index})", errno),
        };
    }

    private static byte[] NewRequest(ushort type, ushort flags, int index, int attributesLength)
    {
        var request = new byte[HeaderLength + IfInfoLength + attributesLength];
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(HeaderLength + 4), index);
        return request;
    }

    /// <summary>Sends one request to the kernel and returns the first message of its answer.</summary>
    private static (ushort Type, byte[] Message) Exchange(byte[] request)
    {
        var fd = NativeMethods.NetlinkSocket(NetlinkRoute);
        if (fd < 0)
        {
            throw Failed("open an rtnetlink socket", Marshal.GetLastPInvokeError());
        }

        try
        {
            if (NativeMethods.Send(fd, request, request.Length, 0) != request.Length)
            {
                throw Failed("send an rtnetlink request", Marshal.GetLastPInvokeError());
            }

            var buffer = new byte[65536];
            var received = (int)NativeMethods.Recv(fd, buffer, buffer.Length, 0);
            if (received < HeaderLength + 4)
            {
                throw Failed("read the rtnetlink answer", received < 0 ? Marshal.GetLastPInvokeError() : 0);
            }

            var length = Math.Min((int)BinaryPrimitives.ReadUInt32LittleEndian(buffer), received);
            return (BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(4)), buffer[..length]);
        }
        finally
        {
            NativeMethods.Close(fd);
        }
    }

    private static NetlinkLink ParseLink(byte[] message)
    {
        var index = BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(HeaderLength + 4));
        string? name = null, mac = null, alias = null;
        for (var at = HeaderLength + IfInfoLength; at + 4 <= message.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(at));
            if (length < 4 || at + length > message.Length)
            {
                break;
            }

            var value = message.AsSpan(at + 4, length - 4);
            switch (BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(at + 2)))
            {
                case IflaIfName:
                    name = Text(value);
                    break;
                case IflaIfAlias:
                    alias = Text(value);
                    break;
                case IflaAddress:
                    mac = Convert.ToHexString(value).ToLowerInvariant() is var hex && hex.Length > 0
                        ? string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2)))
                        : null;
                    break;
            }

            at += Align(length);
        }

        return new NetlinkLink(index, name ?? string.Empty, mac, string.IsNullOrEmpty(alias) ? null : alias);
    }

    private static string Text(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value.IndexOf((byte)0) is >= 0 and var end ? value[..end] : value);

    private static int Align(int length) => (length + 3) & ~3;

    private static IOException Failed(string what, int errno) =>
        new($"rtnetlink could not {what}: {(errno > 0 ? Marshal.GetPInvokeErrorMessage(errno) : "no answer")} (errno {errno}).") { HResult = errno };
}
