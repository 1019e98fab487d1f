using QemuNet.Core;
using QemuNet.Core.Engine;
using QemuNet.Core.Processes;
using System.Collections;
using System.Management.Automation;
using System.Text.Json;

namespace QemuNet.Commands;

/// <summary>What the argument completers share: matching what was typed, the namespace typed, and its links.</summary>
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

    /// <summary>The -NetworkNamespace already on the command line, or null (the current namespace).</summary>
    public static string? NamespaceOf(IDictionary fakeBoundParameters) =>
        fakeBoundParameters["NetworkNamespace"] is string { Length: > 0 } name ? name : null;

    /// <summary>
    /// The links of <paramref name="networkNamespace"/> (the current one when null) that pass <paramref name="include"/>,
    /// sorted by name; none when they cannot be read (no such namespace, or another namespace without root).
    /// </summary>
    public static IEnumerable<LinkState> Links(string? networkNamespace, Func<LinkState, bool> include)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var host = new HostContext(new CliProcessRunner(), networkNamespace);
            return HostLinks.ListAsync(host, [], cts.Token).GetAwaiter().GetResult().Where(include).OrderBy(l => l.Name, StringComparer.Ordinal).ToArray();
        }
        catch (Exception ex) when (ex is QemuNetException or OperationCanceledException or JsonException)
        {
            return [];
        }
    }

    /// <summary>An Ethernet-like link (a NIC, veth, bond or VLAN) that can carry guests out: not the loopback, a bridge or a TUN/TAP device.</summary>
    public static bool IsUplinkLike(LinkState link) => !link.Loopback && link.Kind is not ("bridge" or "tun");
}
