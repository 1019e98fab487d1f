using QemuNet.Core.Engine;
using System.Management.Automation;

namespace QemuNet.Commands;

/// <summary>What the argument completers share: matching what was typed, and the host's links.</summary>
internal static class Completion
{
    /// <summary>The items whose name starts with what was typed (quotes ignored, any case), in the order given.</summary>
    public static IEnumerable<CompletionResult> Matching<T>(IEnumerable<T> items, Func<T, string> name, string wordToComplete, Func<T, string>? tooltip = null)
    {
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return items.Where(item => pattern.IsMatch(name(item)))
            .Select(item => new CompletionResult(name(item), name(item), CompletionResultType.ParameterValue, tooltip?.Invoke(item) ?? name(item)));
    }

    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> names, string wordToComplete) => Matching(names, n => n, wordToComplete);

    /// <summary>The links of this process's namespace that pass <paramref name="include"/> (given their /sys/class/net directory), sorted.</summary>
    public static IEnumerable<string> HostLinks(Func<string, bool> include) =>
        Directory.Exists("/sys/class/net")
            ? Directory.EnumerateFileSystemEntries("/sys/class/net").Where(include).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)
            : [];
}
