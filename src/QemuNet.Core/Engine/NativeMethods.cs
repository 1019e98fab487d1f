using System.Runtime.InteropServices;

namespace QemuNet.Core.Engine;

/// <summary>The few libc calls .NET does not expose: signals, owner and mode of a path, namespace identity.</summary>
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain on these calls.
public static class NativeMethods
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int CloneNewNet = 0x40000000;
    private const int AfUnix = 1;
    private const int SockDgram = 2;
    private const int SolSocket = 1;
    private const int SoNetnsCookie = 71;
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    private static extern int Access(string path, int mode);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int type);

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    internal static extern nint Send(int fd, byte[] buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    internal static extern nint Recv(int fd, byte[] buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static extern int GetSockOpt(int fd, int level, int name, out ulong value, ref int length);

    [DllImport("libc", EntryPoint = "close")]
    internal static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "getpwnam")]
    private static extern IntPtr GetPwNam(string name);

    /// <summary>Whether the user database (NSS: files, LDAP…) knows <paramref name="name"/>, as QEMU's own lookup asks it.</summary>
    public static bool UserExists(string name) => GetPwNam(name) != IntPtr.Zero;

    /// <summary>Whether this process may write <paramref name="path"/> (access(2) W_OK: the kernel's answer, root and ACLs included).</summary>
    public static bool CanWrite(string path) => Access(path, 2) == 0;

    /// <summary>Whether this process may run <paramref name="path"/> (access(2) X_OK), as a shell's PATH search asks.</summary>
    public static bool CanExecute(string path) => Access(path, 1) == 0;

    /// <summary>Owner, mode (type and permission bits) and inode of a path; the link itself when it is a symlink. Null when absent.</summary>
    public static PathStatus? LStat(string path) => StatCore(path, AtSymlinkNoFollow);

    /// <summary>As <see cref="LStat"/>, following symlinks and mounts (the nsfs inode of /run/netns/NAME).</summary>
    public static PathStatus? Stat(string path) => StatCore(path, 0);

    private static PathStatus? StatCore(string path, int flags)
    {
        // struct statx has the same layout on every architecture: uid at 20, mode at 28, inode at 32.
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, flags, StatxBasicStats, buffer) != 0)
        {
            return null;
        }

        return new PathStatus(BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt16(buffer, 28), BitConverter.ToUInt64(buffer, 32));
    }

    /// <summary>SO_NETNS_COOKIE of a socket made in the calling thread's namespace: unique for the boot, never reused.</summary>
    public static ulong NetnsCookie()
    {
        var fd = Socket(AfUnix, SockDgram, 0);
        if (fd < 0)
        {
            return 0;
        }

        try
        {
            var length = sizeof(ulong);
            return GetSockOpt(fd, SolSocket, SoNetnsCookie, out var cookie, ref length) == 0 ? cookie : 0;
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a throwaway thread that entered the network namespace behind <paramref name="nsPath"/>
    /// (setns changes only that thread, and it ends right after); its failure, or the setns failure, is thrown here.
    /// </summary>
    public static T RunInNamespace<T>(string nsPath, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                EnterNamespace(nsPath);
                result = work();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result : throw failure;
    }

    /// <summary>Moves the calling thread (only it) into the network namespace behind <paramref name="nsPath"/>.</summary>
    internal static void EnterNamespace(string nsPath)
    {
        if (TryEnterNamespace(nsPath) is var errno and not 0)
        {
            throw new IOException($"Cannot enter the network namespace {nsPath}: errno {errno}.");
        }
    }

    /// <summary>As <see cref="EnterNamespace"/>, returning setns's errno (0 when entered) for callers with their own error.</summary>
    internal static int TryEnterNamespace(string nsPath)
    {
        using var handle = File.OpenHandle(nsPath, FileMode.Open, FileAccess.Read);
        return SetNs((int)handle.DangerousGetHandle(), CloneNewNet) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>A close-on-exec netlink socket of <paramref name="protocol"/> in the calling thread's namespace; -1 (errno set) when it cannot be made.</summary>
    internal static int NetlinkSocket(int protocol) => Socket(AfNetlink, SockRaw | SockCloexec, protocol);

    /// <summary>Runs <paramref name="work"/> on a throwaway thread that entered the namespace behind <paramref name="nsPath"/>; null without privilege.</summary>
    public static T? InNamespace<T>(string nsPath, Func<T> work)
        where T : struct
    {
        try
        {
            return RunInNamespace<T?>(nsPath, () => work());
        }
        catch (IOException)
        {
            return null;
        }
    }
}
#pragma warning restore SYSLIB1054

/// <summary>What statx tells about a path: owner, type and permission bits, inode.</summary>
public readonly record struct PathStatus(uint Owner, ushort Mode, ulong Inode)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    public bool IsSymlink => (Mode & 0xF000) == 0xA000;

    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    public bool IsSocket => (Mode & 0xF000) == 0xC000;

    /// <summary>Writable by group or others.</summary>
    public bool IsSharedWritable => (Mode & 0x12) != 0;

    public bool OthersCanRead => (Mode & 0x4) != 0;

    public bool OthersCanSearch => (Mode & 0x1) != 0;
}
