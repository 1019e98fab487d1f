using System.Globalization;
using System.Text.RegularExpressions;

namespace QemuNet.Core.Engine;

/// <summary>
/// A network namespace as the books know it: its nsfs inode together with its socket cookie. Inodes are reused
/// once a namespace is gone; cookies never are while the machine runs, so records a crashed run left never drive
/// recovery in an unrelated new namespace. The name (from /run/netns) is for display only.
/// </summary>
public sealed partial record NetworkNamespaceId(ulong Inode, ulong Cookie, string? Name)
{
    public const string NamedDirectory = "/run/netns";

    /// <summary>The folder name of this namespace's books.</summary>
    public string Key => Inode.ToString(CultureInfo.InvariantCulture) + "-" + Cookie.ToString(CultureInfo.InvariantCulture);

    public bool SameNamespace(NetworkNamespaceId other) => Inode == other.Inode && Cookie == other.Cookie;

    public override string ToString() => Name ?? "(current namespace)";

    /// <summary>The namespace this process runs in, with its name when `ip netns` knows it (as under `ip netns exec NAME`).</summary>
    public static NetworkNamespaceId Current()
    {
        var inode = ParseInode(new FileInfo("/proc/thread-self/ns/net").LinkTarget);
        return new NetworkNamespaceId(inode, NativeMethods.NetnsCookie(), NameOf(inode));
    }

    /// <summary>The namespace `ip netns` calls <paramref name="name"/>; NetworkNamespaceNotFound when there is none.</summary>
    public static NetworkNamespaceId Named(string name)
    {
        CheckName(name);
        var path = Path.Combine(NamedDirectory, name);
        if (NativeMethods.Stat(path) is not { } status || status.Inode == 0)
        {
            throw NotFound(name);
        }

        // The namespace this process is in (a user started under `ip netns exec` and setpriv) gives its cookie without
        // entering it, which needs CAP_SYS_ADMIN. Elsewhere, without that, the cookie cannot be read; such a caller
        // cannot change the namespace either.
        var cookie = status.Inode == ParseInode(new FileInfo("/proc/thread-self/ns/net").LinkTarget)
            ? NativeMethods.NetnsCookie()
            : NativeMethods.InNamespace(path, NativeMethods.NetnsCookie) ?? 0;
        return new NetworkNamespaceId(status.Inode, cookie, name);
    }

    /// <summary>A name `ip netns` could have made (letters, digits, '_', '.', '-'; not "." or "..").</summary>
    public static bool IsName(string name) => NamePattern().IsMatch(name) && name is not ("." or "..");

    public static void CheckName(string name)
    {
        if (!IsName(name) || !File.Exists(Path.Combine(NamedDirectory, name)))
        {
            throw NotFound(name);
        }
    }

    private static QemuNetException NotFound(string name) =>
        new("NetworkNamespaceNotFound", QemuNetErrorCategory.ObjectNotFound, name,
            $"There is no network namespace named '{name}' (looked for {NamedDirectory}/{name}).",
            "Create it with 'ip netns add', or leave -NetworkNamespace out.");

    /// <summary>The `ip netns` name of the namespace a process runs in, or null (the host's, or an unnamed one).</summary>
    public static string? NameOfProcess(int pid)
    {
        var inode = ParseInode(new FileInfo($"/proc/{pid}/ns/net").LinkTarget);
        return inode == 0 || inode == ParseInode(new FileInfo("/proc/1/ns/net").LinkTarget) ? null : NameOf(inode);
    }

    private static string? NameOf(ulong inode)
    {
        if (!Directory.Exists(NamedDirectory))
        {
            return null;
        }

        return Directory.EnumerateFiles(NamedDirectory)
            .Where(f => NamePattern().IsMatch(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault(f => NativeMethods.Stat(f)?.Inode == inode) is { } path ? Path.GetFileName(path) : null;
    }

    private static ulong ParseInode(string? link) =>
        link is not null && InodePattern().Match(link) is { Success: true } m ? ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^net:\[(\d+)\]$", RegexOptions.CultureInvariant)]
    private static partial Regex InodePattern();
}
