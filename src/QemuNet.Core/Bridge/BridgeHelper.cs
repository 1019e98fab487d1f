using System.Runtime.InteropServices;

namespace QemuNet.Core.Bridge;

/// <summary>
/// QEMU's setuid bridge helper (qemu-bridge-helper): where this distribution keeps it, and whether it can
/// create TAPs for a user who is not root (it needs setuid root or CAP_NET_ADMIN).
/// </summary>
public sealed class BridgeHelper
{
    /// <summary>Debian/Ubuntu/Arch, then Fedora/RHEL/SUSE, then a source build.</summary>
    public static readonly string[] KnownPaths =
        ["/usr/lib/qemu/qemu-bridge-helper", "/usr/libexec/qemu-bridge-helper", "/usr/local/libexec/qemu-bridge-helper"];

    private const int CapNetAdmin = 12;

    private BridgeHelper(string path, bool setUidRoot, bool hasCapNetAdmin)
    {
        Path = path;
        SetUidRoot = setUidRoot;
        HasCapNetAdmin = hasCapNetAdmin;
    }

    public string Path { get; }

    public bool SetUidRoot { get; }

    public bool HasCapNetAdmin { get; }

    /// <summary>Whether the helper can make TAPs for the calling user (root always can).</summary>
    public bool UsableByCaller => Environment.IsPrivilegedProcess || SetUidRoot || HasCapNetAdmin;

    /// <summary>Why users other than root cannot use it, or null (whoever is asking).</summary>
    public string? ProblemForUsers => SetUidRoot || HasCapNetAdmin ? null
        : $"{Path} is neither setuid root nor given CAP_NET_ADMIN, so it can create TAPs only for root. "
          + $"Fix (as root): {GrantCommand(Path)}.";

    /// <summary>
    /// How root lets users run the helper. Debian ships it without the setuid bit; dpkg-statoverride keeps the bit
    /// through package upgrades, where a plain chmod would be undone by the next one.
    /// </summary>
    public static string GrantCommand(string path) =>
        File.Exists("/usr/bin/dpkg-statoverride") || File.Exists("/usr/sbin/dpkg-statoverride")
            ? $"dpkg-statoverride --update --add root root 4755 {path}  (or: setcap cap_net_admin+ep {path})"
            : $"chmod u+s {path}  (or: setcap cap_net_admin+ep {path})";

    public static BridgeHelper? Find() => KnownPaths.Where(File.Exists).Select(Inspect).FirstOrDefault();

    public static BridgeHelper Require(string? path)
    {
        if (path is not null)
        {
            if (!File.Exists(path))
            {
                throw new QemuNetException("BridgeHelperNotFound", QemuNetErrorCategory.ObjectNotFound, path,
                    $"The bridge helper '{path}' does not exist.", $"On this kind of system it is usually one of: {string.Join(", ", KnownPaths)}.");
            }

            return Inspect(path);
        }

        return Find() ?? throw new QemuNetException("BridgeHelperNotFound", QemuNetErrorCategory.NotInstalled, "qemu-bridge-helper",
            $"QEMU's bridge helper is not installed (looked in {string.Join(", ", KnownPaths)}).",
            "Install it (Debian/Ubuntu: qemu-system-common; Fedora: qemu-common), or pass its path with -Helper.");
    }

    private static BridgeHelper Inspect(string path)
    {
        var mode = File.GetUnixFileMode(path);
        var owner = Stat(path);
        return new BridgeHelper(path, mode.HasFlag(UnixFileMode.SetUser) && owner == 0, HasFileCapability(path, CapNetAdmin));
    }

    /// <summary>The file's owner uid via statx, whose layout (unlike struct stat) is the same on every architecture.</summary>
    private static uint? Stat(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxUid = 0x8;
        var buffer = new byte[256];
        return StatX(AtFdCwd, path, 0, StatxUid, buffer) == 0 ? BitConverter.ToUInt32(buffer, 20) : null;
    }

#pragma warning disable SYSLIB1054, CA2101 // LibraryImport would need unsafe code; strings are UTF-8 on Unix either way.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int StatX(int dirFd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "getxattr", SetLastError = true)]
    private static extern nint GetXattr(string path, string name, byte[] value, nuint size);
#pragma warning restore SYSLIB1054, CA2101

    /// <summary>Reads the security.capability xattr (struct vfs_cap_data) for the permitted bit of <paramref name="capability"/>.</summary>
    private static bool HasFileCapability(string path, int capability)
    {
        var buffer = new byte[24];
        var length = GetXattr(path, "security.capability", buffer, (nuint)buffer.Length);
        if (length < 8)
        {
            return false;
        }

        var permitted = BitConverter.ToUInt32(buffer, 4);
        return (permitted & (1u << capability)) != 0;
    }
}
