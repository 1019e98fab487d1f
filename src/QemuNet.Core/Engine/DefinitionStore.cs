namespace QemuNet.Core.Engine;

/// <summary>
/// Where definitions that outlive a reboot live: $QEMUNET_CONFIG_DIR or /etc/qemunet, apart from the runtime
/// books in /run. Keyed by namespace *name* (an inode or cookie does not survive a reboot): host/KIND/NAME.json
/// for the host's own namespace, netns/NSNAME/KIND/NAME.json for a named one.
/// </summary>
public sealed class DefinitionStore
{
    public const string EnvironmentVariable = "QEMUNET_CONFIG_DIR";

    private DefinitionStore(string root) => Root = root;

    public string Root { get; }

    public static string Resolve() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir ? Path.GetFullPath(dir) : "/etc/qemunet";

    /// <summary>The store, without creating anything; its root is checked when it exists.</summary>
    public static DefinitionStore Open() => Open(Resolve());

    /// <summary>The store's paths only, nothing checked: for naming files (a check comes before any is read or written).</summary>
    public static DefinitionStore At(string root) => new(root);

    public static DefinitionStore Open(string root)
    {
        if (NativeMethods.LStat(root) is not null)
        {
            Check(root);
        }

        return new DefinitionStore(root);
    }

    /// <summary>The folder for a namespace's definitions of one kind (nat, bridge).</summary>
    public string Folder(string? namespaceName, string kind) =>
        namespaceName is null ? Path.Combine(Root, "host", kind) : Path.Combine(Root, "netns", namespaceName, kind);

    public string PathOf(string? namespaceName, string kind, string name) => Path.Combine(Folder(namespaceName, kind), name + ".json");

    /// <summary>Makes the root and the folder of one kind (owned by the caller, not writable by others), checking what exists.</summary>
    public void Prepare(string? namespaceName, string kind)
    {
        var dirs = new List<string> { Root };
        if (namespaceName is null)
        {
            dirs.Add(Path.Combine(Root, "host"));
        }
        else
        {
            dirs.Add(Path.Combine(Root, "netns"));
            dirs.Add(Path.Combine(Root, "netns", namespaceName));
        }

        dirs.Add(Folder(namespaceName, kind));
        foreach (var dir in dirs)
        {
            if (NativeMethods.LStat(dir) is null)
            {
                Directory.CreateDirectory(dir);
                File.SetUnixFileMode(dir, StateStore.DirectoryMode);
            }

            Check(dir);
        }
    }

    /// <summary>Every definition of <paramref name="kind"/>: (namespace name or null for the host, file), in a stable order.</summary>
    public IReadOnlyList<(string? Namespace, string File)> List(string kind)
    {
        var found = new List<(string?, string)>();
        if (!Directory.Exists(Root))
        {
            return found;
        }

        Check(Root);
        var host = Folder(null, kind);
        if (Directory.Exists(host))
        {
            Check(host);
            found.AddRange(Directory.EnumerateFiles(host, "*.json").Order(StringComparer.Ordinal).Select(f => ((string?)null, f)));
        }

        var netns = Path.Combine(Root, "netns");
        if (Directory.Exists(netns))
        {
            Check(netns);
            foreach (var dir in Directory.EnumerateDirectories(netns).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir);
                var folder = Path.Combine(dir, kind);
                if (!NetworkNamespaceId.IsName(name) || !Directory.Exists(folder))
                {
                    continue;
                }

                Check(folder);
                found.AddRange(Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(f => ((string?)name, f)));
            }
        }

        return found;
    }

    /// <summary>
    /// The name a namespace's definitions are kept under: null for the host's own namespace, its `ip netns` name
    /// otherwise. A namespace without a name could never be found again after a reboot.
    /// </summary>
    public static string? NamespaceName(NetworkNamespaceId id, object target) =>
        TryNamespaceName(id, out var name) ? name : throw UnnamedNamespace(target);

    /// <summary>Where a definition of <paramref name="kind"/> lives for a namespace, or null when the namespace has no name.</summary>
    public static string? PathFor(NetworkNamespaceId id, string kind, string name) =>
        TryNamespaceName(id, out var ns) ? At(Resolve()).PathOf(ns, kind, name) : null;

    public static QemuNetException UnnamedNamespace(object target) => new("AutoStartNamespaceUnnamed", QemuNetErrorCategory.InvalidOperation, target,
        "This network namespace has no name (ip netns), so nothing could find it again after a reboot to bring it back.",
        "Create the namespace with 'ip netns add NAME' and use -NetworkNamespace NAME, or leave -AutoStart out.");

    /// <summary>False for a namespace without a name; otherwise its name, or null for the host's own.</summary>
    private static bool TryNamespaceName(NetworkNamespaceId id, out string? name)
    {
        name = id.Name;
        if (name is not null)
        {
            return true;
        }

        var host = new FileInfo("/proc/1/ns/net").LinkTarget;
        return host is not null && host.Contains($"[{id.Inode.ToString(System.Globalization.CultureInfo.InvariantCulture)}]", StringComparison.Ordinal);
    }

    private static void Check(string path)
    {
        if (StateStore.OwnDirectoryProblem(path) is { } problem)
        {
            throw new QemuNetException("ConfigDirectoryUnsafe", QemuNetErrorCategory.PermissionDenied, path,
                $"QemuNet will not keep or read definitions in '{path}': {problem}, so someone else could plant a network that root would bring up at boot.",
                $"Make '{path}' yours and writable only by you (chown, chmod 755), or set ${EnvironmentVariable} to such a directory.");
        }
    }
}
