using System.Text;
using System.Text.Json;

namespace QemuNet.Core.Engine;

/// <summary>One line of a journal: a plan began, a change is about to run (with its undo), or it succeeded.</summary>
public sealed record JournalEntry(string Type, string? At = null, IReadOnlyList<HostAction>? Undo = null, string? Kind = null,
    string? Name = null, string? Subject = null, string? Text = null);

/// <summary>
/// The on-disk log of a plan being applied: a "begin" line (what is being made), then for every change an
/// "intent" line with its undo before it runs and a "done" line once it has succeeded, each fsynced, and an "end"
/// line once the whole plan has succeeded (the file is deleted right after). A process
/// killed anywhere leaves enough to finish the undo: done changes are undone, and so is the one in flight
/// (its undo is written to be harmless when the change never happened).
/// </summary>
public sealed class Journal
{
    private static readonly JsonSerializerOptions Json = new();

    public Journal(string path) => Path = path;

    public string Path { get; }

    public bool Exists => NativeMethods.LStat(Path) is not null;

    public void Append(JournalEntry entry)
    {
        if (NativeMethods.LStat(Path) is { IsRegularFile: false })
        {
            throw new QemuNetException("StateFileUnsafe", QemuNetErrorCategory.SecurityError, Path,
                $"'{Path}' is not a regular file; QemuNet does not follow it.", $"Remove '{Path}' and run the command again.");
        }

        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n"));
        stream.Flush(flushToDisk: true);
    }

    public void Delete() => File.Delete(Path);

    /// <summary>
    /// The entries on disk. A torn last line (the process died while writing it) is dropped: its change had not run
    /// or had not been confirmed yet, and the line before it says which. A torn line anywhere else is StateJournalCorrupt.
    /// </summary>
    public IReadOnlyList<JournalEntry> Read()
    {
        var text = StateStore.ReadText(Path);
        if (text is null)
        {
            return [];
        }

        var lines = text.Split('\n');
        var entries = new List<JournalEntry>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            try
            {
                entries.Add(JsonSerializer.Deserialize<JournalEntry>(lines[i], Json) ?? throw new JsonException("empty entry"));
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                // Every line is written whole with its newline in one call: only the last can be torn.
            }
            catch (JsonException ex)
            {
                throw new QemuNetException("StateJournalCorrupt", QemuNetErrorCategory.InvalidData, Path,
                    $"The journal '{Path}' has an unreadable line {i + 1} ({ex.Message}), so QemuNet cannot tell what an interrupted command left.",
                    $"Read '{Path}' (each line names a change and its undo), undo by hand what it lists, remove it, and run the command again.", ex);
            }
        }

        return entries;
    }

    /// <summary>True when the plan ran to its end: nothing is left to undo, the file only waits to be deleted.</summary>
    public static bool IsFinished(IReadOnlyList<JournalEntry> entries) => entries.Count > 0 && entries[^1].Type == "end";

    /// <summary>What a killed (or still running) command did so far, for Get- cmdlets to report.</summary>
    public static string DescribeInterruption(IReadOnlyList<JournalEntry> entries) =>
        $"a QemuNet command was interrupted (or is still running) after {Pending(entries).Count} change(s): "
        + string.Join("; ", entries.Where(e => e.Type == "intent").Select(e => e.Text?.Split('\n')[0])) + ".";

    /// <summary>What the begin line says is being made (for reports of a half-made object).</summary>
    public static JournalEntry? Begin(IReadOnlyList<JournalEntry> entries) => entries.FirstOrDefault(e => e.Type == "begin");

    /// <summary>The undo of every change that ran or may have run, newest first.</summary>
    public static IReadOnlyList<(string At, IReadOnlyList<HostAction> Undo)> Pending(IReadOnlyList<JournalEntry> entries) =>
        entries.Where(e => e.Type == "intent" && e.At is not null)
            .Select(e => (e.At!, e.Undo ?? []))
            .Reverse()
            .ToArray();
}
