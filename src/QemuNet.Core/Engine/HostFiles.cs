using System.Security.Cryptography;
using System.Text;

namespace QemuNet.Core.Engine;

/// <summary>A file outside the books that a plan writes or removes: the helper ACL, an exported ifup script.</summary>
public sealed record HostFileChange(string Path, string? Text, string Mode = "644", string? Action = null);

/// <summary>
/// The file driver: host files (not in any network namespace) replaced or removed through the runner, so they are
/// shown by -WhatIf, confirmed, journaled and put back after a failure or a crash like every other host change.
/// </summary>
public static class HostFiles
{
    public const string Kind = "file";

    /// <summary>The pure plan: a write (or delete, for a null Text) for every file whose content would change.</summary>
    public static IReadOnlyList<HostStep> Plan(IReadOnlyList<HostFileChange> changes, IReadOnlyDictionary<string, string?> current)
    {
        var steps = new List<HostStep>();
        foreach (var change in changes)
        {
            var old = current.GetValueOrDefault(change.Path);
            if (old == change.Text)
            {
                continue;
            }

            // Each action and its undo go ahead only over the text they expect: an edit someone made in between is kept.
            var read = new FileExpectation(old);
            var written = new FileExpectation(change.Text);
            HostAction undo = old is null ? new DeleteFile(change.Path, written) : new WriteFile(change.Path, old, Expect: written);
            steps.Add(change.Text is null
                ? new HostStep(change.Path, change.Action ?? "Remove file", new HostChange(new DeleteFile(change.Path, read), undo))
                : new HostStep(change.Path, change.Action ?? "Write file", new HostChange(new WriteFile(change.Path, change.Text, change.Mode, Expect: read), undo)));
        }

        return steps;
    }

    /// <summary>Applies <paramref name="changes"/> through the runner; <paramref name="plan"/> computes them under the lock from the files' current text.</summary>
    public static Task<PlanOutcome> RunAsync(StateStore store, HostContext host, string journalName,
        Func<IReadOnlyDictionary<string, string?>, IReadOnlyList<HostFileChange>> plan, IReadOnlyList<string> paths,
        Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        var folder = whatIf ? store.PeekFolder(Kind, null) : store.Folder(Kind, null);
        var runner = new PlanRunner(host, folder);
        return runner.RunAsync(journalName, _ =>
        {
            var current = paths.ToDictionary(p => p, p => File.Exists(p) ? File.ReadAllText(p) : null, StringComparer.Ordinal);
            return Task.FromResult(new HostPlan(Kind, journalName, Plan(plan(current), current)));
        }, confirm, whatIf, ct);
    }

    /// <summary>A journal name for a set of paths: stable, and safe as a file name whatever the paths hold.</summary>
    public static string JournalName(IEnumerable<string> paths) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', paths))))[..16].ToLowerInvariant();
}
