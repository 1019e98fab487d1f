using System.Text.Json;

namespace QemuNet.Core.Engine;

/// <summary>
/// The module's books: one folder per resource kind and namespace (records, journals, lock) under a state
/// directory that must be the caller's own and writable by nobody else. Files are replaced atomically
/// (temporary file, fsync, rename) and a symlink in the tree is never followed: another user who could plant
/// one is refused before anything is read or written.
/// </summary>
public sealed class StateStore
{
    internal const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private StateStore(string root) => Root = root;

    public string Root { get; }

    /// <summary>The store at <paramref name="root"/>: created when missing, refused when someone else could change it.</summary>
    public static StateStore Open(string root)
    {
        EnsureOwnDirectory(root, isRoot: true);
        return new StateStore(root);
    }

    /// <summary>The store at <paramref name="root"/> when it exists (checked as by <see cref="Open"/>), or null: for reading without creating anything.</summary>
    public static StateStore? OpenExisting(string root) => NativeMethods.LStat(root) is null ? null : Open(root);

    /// <summary>The folder of one kind's books (nat, bridge, acl…) for a namespace, or host-wide when <paramref name="ns"/> is null.</summary>
    public string Folder(string kind, NetworkNamespaceId? ns)
    {
        var kindDir = Path.Combine(Root, kind);
        EnsureOwnDirectory(kindDir, isRoot: false);
        if (ns is null)
        {
            return kindDir;
        }

        var dir = Path.Combine(kindDir, ns.Key);
        EnsureOwnDirectory(dir, isRoot: false);
        return dir;
    }

    /// <summary>A folder's path without creating it (for reading: a missing folder means no books yet).</summary>
    public string PeekFolder(string kind, NetworkNamespaceId? ns) => ns is null ? Path.Combine(Root, kind) : Path.Combine(Root, kind, ns.Key);

    /// <summary>
    /// Creates <paramref name="path"/> if needed, else checks it: a real directory (not a symlink) owned by the
    /// caller and not writable by group or others.
    /// </summary>
    public static void EnsureOwnDirectory(string path, bool isRoot, UnixFileMode mode = DirectoryMode)
    {
        if (NativeMethods.LStat(path) is null)
        {
            try
            {
                Directory.CreateDirectory(path);
                // The umask may have taken bits away (a root umask of 077 makes 0700): set the mode we mean.
                File.SetUnixFileMode(path, mode);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                throw new QemuNetException("StateDirectoryDenied", QemuNetErrorCategory.PermissionDenied, path,
                    $"Cannot create the state directory '{path}': {ex.Message}",
                    $"Run as root, or set ${StateDirectory.EnvironmentVariable} to a directory of your own that only you can write.", ex);
            }
        }

        if (OwnDirectoryProblem(path) is { } problem)
        {
            throw new QemuNetException("StateDirectoryUnsafe", QemuNetErrorCategory.PermissionDenied, path,
                $"QemuNet will not keep its books in '{path}': {problem}, so someone else could plant files or links there that root would then trust.",
                isRoot
                    ? $"Remove '{path}' (it is recreated safely), or set ${StateDirectory.EnvironmentVariable} to a directory you own with mode 0700 or 0755."
                    : $"Remove '{path}' and run the command again; QemuNet recreates it.");
        }
    }

    /// <summary>Why <paramref name="path"/> is not a directory only the caller can change, or null when it is.</summary>
    internal static string? OwnDirectoryProblem(string path)
    {
        var euid = NativeMethods.GetEffectiveUserId();
        return NativeMethods.LStat(path) switch
        {
            null => "it cannot be read",
            { IsSymlink: true } => "it is a symbolic link",
            { IsDirectory: false } => "it is not a directory",
            { } s when s.Owner != euid => $"it belongs to user id {s.Owner}, not to you (user id {euid})",
            { IsSharedWritable: true } => "group or other users can write to it",
            _ => null,
        };
    }

    /// <summary>
    /// Replaces a file in one step: a new temporary file (O_EXCL, so a planted link is never followed), fsync, then
    /// rename over the old name (which replaces a link rather than writing through it).
    /// </summary>
    public static void WriteAtomic(string path, string content, UnixFileMode mode = FileMode)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, System.IO.FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(content);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.SetUnixFileMode(temporary, mode);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The text of a file of the books, or null when absent; a symlink is refused, not followed.</summary>
    public static string? ReadText(string path)
    {
        if (NativeMethods.LStat(path) is not { } status)
        {
            return null;
        }

        if (!status.IsRegularFile)
        {
            throw new QemuNetException("StateFileUnsafe", QemuNetErrorCategory.SecurityError, path,
                $"'{path}' is not a regular file (a symbolic link or something else was put there); QemuNet does not follow it.",
                $"Look at what '{path}' is, remove it, and run the command again.");
        }

        return File.ReadAllText(path);
    }

    /// <summary>
    /// A record read back like user input: JSON that does not parse (a torn write, an edit) is StateRecordCorrupt,
    /// content <paramref name="validate"/> rejects is StateRecordInvalid; both name the file.
    /// </summary>
    public static T? Load<T>(string path, JsonSerializerOptions json, Func<T, T> validate)
        where T : class
    {
        var text = ReadText(path);
        if (text is null)
        {
            return null;
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(text, json);
        }
        catch (JsonException ex)
        {
            throw Corrupt(path, ex.Message, ex);
        }

        if (value is null)
        {
            throw Corrupt(path, "it holds no record", null);
        }

        try
        {
            return validate(value);
        }
        catch (QemuNetException ex)
        {
            throw new QemuNetException("StateRecordInvalid", QemuNetErrorCategory.InvalidData, path,
                $"The record '{path}' holds a value QemuNet would never write ({ex.Message}); it is ignored and nothing is done on its behalf.",
                $"Remove '{path}' if you did not write it (and clean up by hand what it names), then run the command again.", ex);
        }
    }

    private static QemuNetException Corrupt(string path, string reason, Exception? inner) =>
        new("StateRecordCorrupt", QemuNetErrorCategory.InvalidData, path,
            $"The record '{path}' cannot be read ({reason}); a write may have been cut short.",
            $"Look at '{path}': restore it, or remove it and clean up by hand what it described, then run the command again.", inner);

    /// <summary>
    /// An exclusive lock on <paramref name="lockFile"/> (flock through FileShare.None). It waits while other processes
    /// take their turns, and gives up only when one of them has held it for a minute.
    /// </summary>
    public static Task<IDisposable> LockAsync(string lockFile, CancellationToken cancellationToken) =>
        LockAsync(lockFile, TimeSpan.FromMinutes(1), cancellationToken);

    internal static async Task<IDisposable> LockAsync(string lockFile, TimeSpan holdLimit, CancellationToken cancellationToken)
    {
        // Each holder writes its pid into the file, which moves its modification time: a waiter that sees it move
        // knows the lock changed hands, and starts its wait over. (Eight processes queueing for one namespace's
        // lock can keep a waiter out for longer than any one of them holds it.)
        var holder = DateTime.MinValue;
        var deadline = DateTime.UtcNow + holdLimit;
        while (true)
        {
            if (NativeMethods.LStat(lockFile) is { IsRegularFile: false })
            {
                throw new QemuNetException("StateFileUnsafe", QemuNetErrorCategory.SecurityError, lockFile,
                    $"'{lockFile}' is not a regular file; QemuNet does not follow it.", $"Remove '{lockFile}' and run the command again.");
            }

            FileStream held;
            try
            {
                held = new FileStream(lockFile, System.IO.FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                var changed = File.GetLastWriteTimeUtc(lockFile);
                if (changed != holder)
                {
                    holder = changed;
                    deadline = DateTime.UtcNow + holdLimit;
                }
                else if (DateTime.UtcNow >= deadline)
                {
                    throw new QemuNetException("HostLockTimeout", QemuNetErrorCategory.ResourceUnavailable, lockFile,
                        $"Another QemuNet process has held {lockFile} for {holdLimit.TotalSeconds:0} seconds; try again when it is done.",
                        "Wait for the other QemuNet command to finish, then run this one again.", inner: ex);
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                held.SetLength(0);
                held.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
                held.Flush();
                return held;
            }
            catch
            {
                held.Dispose();
                throw;
            }
        }
    }
}
