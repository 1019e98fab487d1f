using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using QemuNet.Core.Model;

namespace QemuNet.Core.Engine;

/// <summary>
/// Opens a TAP the way libvirt does: /dev/net/tun and TUNSETIFF, one descriptor per queue (IFF_MULTI_QUEUE), not
/// persistent, so the TAP lives exactly as long as a descriptor of it is open — QEMU's, once handed over.
/// </summary>
public static class TunDevice
{
    public const string TunPath = "/dev/net/tun";

    private const int ORdWr = 2;
    private const int OCloExec = 0x80000;
    private const ulong TunSetIff = 0x400454ca;
    private const short IffTap = 0x0002;
    private const short IffNoPi = 0x1000;
    private const short IffMultiQueue = 0x0100;
    private const short IffVnetHdr = 0x4000;

    /// <summary>
    /// The <paramref name="queues"/> descriptors of a new TAP <paramref name="name"/>, made in network namespace
    /// <paramref name="networkNamespace"/> (null: this process's). Each descriptor is close-on-exec: it reaches a
    /// program only through an explicit hand-over.
    /// </summary>
    public static IReadOnlyList<SafeFileHandle> Open(string name, string? networkNamespace, int queues, bool vnetHdr)
    {
        InterfaceName.Check(name, "TapIfNameInvalid");
        if (queues is < 1 or > QemuTapNet.MaxQueues)
        {
            throw new ArgumentOutOfRangeException(nameof(queues));
        }

        var flags = (short)(IffTap | IffNoPi | (vnetHdr ? IffVnetHdr : 0) | (queues > 1 ? IffMultiQueue : 0));
        IReadOnlyList<SafeFileHandle>? opened = null;
        Exception? failure = null;
        // setns changes the calling thread only: a thread of its own, which ends right after, makes the TAP there.
        var thread = new Thread(() =>
        {
            try
            {
                if (networkNamespace is not null)
                {
                    if (NativeMethods.TryEnterNamespace(Path.Combine("/run/netns", networkNamespace)) is var errno and not 0)
                    {
                        throw Failure(name, "enter network namespace " + networkNamespace, errno);
                    }
                }

                opened = OpenQueues(name, queues, flags);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? opened! : throw failure;
    }

    /// <summary>Opens /dev/vhost-net <paramref name="count"/> times (close-on-exec), for QEMU's vhostfd=.</summary>
    public static IReadOnlyList<SafeFileHandle> OpenVhost(int count)
    {
        var handles = new List<SafeFileHandle>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                handles.Add(File.OpenHandle(Vm.TapPreflight.VhostDevice, FileMode.Open, FileAccess.ReadWrite));
            }

            return handles;
        }
        catch
        {
            handles.ForEach(h => h.Dispose());
            throw;
        }
    }

    private static List<SafeFileHandle> OpenQueues(string name, int queues, short flags)
    {
        var handles = new List<SafeFileHandle>();
        try
        {
            for (var i = 0; i < queues; i++)
            {
                var fd = OpenFile(TunPath, ORdWr | OCloExec);
                if (fd < 0)
                {
                    throw Failure(name, "open " + TunPath, Marshal.GetLastPInvokeError());
                }

                var handle = new SafeFileHandle(fd, ownsHandle: true);
                handles.Add(handle);
                // struct ifreq: the name (16 bytes, NUL-terminated), then the flags; 40 bytes in all.
                var request = new byte[40];
                Encoding.ASCII.GetBytes(name, request);
                BitConverter.TryWriteBytes(request.AsSpan(16), flags);
                if (IoCtl(fd, TunSetIff, request) != 0)
                {
                    throw Failure(name, "attach to it (TUNSETIFF)", Marshal.GetLastPInvokeError());
                }
            }

            return handles;
        }
        catch
        {
            handles.ForEach(h => h.Dispose());
            throw;
        }
    }

    private static QemuNetException Failure(string name, string what, int errno)
    {
        var reason = errno switch
        {
            1 => "only root (CAP_NET_ADMIN) may make it",
            16 => "a link of that name exists and is not a TAP with the same settings",
            22 => "a link of that name exists and is not a TAP",
            _ => Marshal.GetPInvokeErrorMessage(errno),
        };
        return new QemuNetException("TapOpenFailed", errno == 1 ? QemuNetErrorCategory.PermissionDenied : QemuNetErrorCategory.ResourceUnavailable, name,
            $"Could not {what} for TAP {name}: {reason} (errno {errno}).",
            errno == 1 ? "Run as root to hand QEMU a TAP by descriptor." : "Choose another -IfName, or remove the link that has this name.");
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain on these calls.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(string path, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int IoCtl(int fd, ulong request, byte[] argument);
#pragma warning restore SYSLIB1054
}
