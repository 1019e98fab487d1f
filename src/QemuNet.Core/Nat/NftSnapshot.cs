using System.Text.Json;
using QemuNet.Core.Engine;

namespace QemuNet.Core.Nat;

/// <summary>
/// The ruleset as one `nft -j list ruleset` shows it: enough to tell whether a network's table exists and is as it
/// was applied, and which other tables drop forwarded traffic, from one program.
/// </summary>
public sealed class NftSnapshot
{
    private readonly IReadOnlyList<JsonElement> _items;

    private NftSnapshot(IReadOnlyList<JsonElement> items) => _items = items;

    /// <summary>What an unprivileged user sees: nothing (nft needs CAP_NET_ADMIN even to list).</summary>
    public static NftSnapshot Unreadable { get; } = new([]);

    public static async Task<NftSnapshot> TakeAsync(HostContext host, CancellationToken ct) =>
        Parse(await host.RunAsync("nft", ["-j", "list", "ruleset"], ct, throwOnFailure: false).ConfigureAwait(false));

    /// <summary>One table alone, as the applying command reads it back (null when it is not there).</summary>
    public static async Task<string?> ListTableAsync(HostContext host, string family, string name, CancellationToken ct) =>
        Parse(await host.RunAsync("nft", ["-j", "list", "table", family, name], ct, throwOnFailure: false).ConfigureAwait(false)).Table(family, name);

    private static NftSnapshot Parse(Processes.ProcessResult result) => result.Succeeded ? Parse(result.StandardOutput) : Unreadable;

    public static NftSnapshot Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return new NftSnapshot(document.RootElement.GetProperty("nftables").EnumerateArray().Select(item => item.Clone()).ToArray());
    }

    /// <summary>
    /// The table's objects (table, chains, rules, sets…) as nft prints them, one per line, handles included: the same
    /// text for the same table however it was listed, and another text after any change to it. Null when it does not exist.
    /// </summary>
    public string? Table(string family, string name)
    {
        var lines = new List<string>();
        foreach (var item in _items)
        {
            foreach (var property in item.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Object && HostLinks.Text(value, "family") == family
                    && HostLinks.Text(value, property.NameEquals("table") ? "name" : "table") == name)
                {
                    lines.Add(item.GetRawText());
                }
            }
        }

        return lines.Count == 0 ? null : string.Join('\n', lines) + "\n";
    }

    /// <summary>A ruleset of one table, from the text <see cref="Table"/> gave (what the applying command read back).</summary>
    public static NftSnapshot FromTable(string table) =>
        Parse("{\"nftables\": [" + string.Join(',', table.Split('\n', StringSplitOptions.RemoveEmptyEntries)) + "]}");

    /// <summary>The chains of every table, as nft reports them.</summary>
    public IEnumerable<JsonElement> Chains => _items.Where(item => item.TryGetProperty("chain", out _)).Select(item => item.GetProperty("chain"));
}
