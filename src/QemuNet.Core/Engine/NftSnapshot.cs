using System.Text.Json;

namespace QemuNet.Core.Engine;

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

    /// <summary>
    /// What `nft -j -e -a -f` echoed of a transaction: the objects it added or created, with their handles, as a ruleset
    /// (a deleted table drops what was added to it before). For a transaction that makes a whole table, that table's
    /// <see cref="Table"/> text is the one a listing gives right after: the same objects, printed the same way.
    /// </summary>
    public static NftSnapshot FromEcho(string json)
    {
        using var document = JsonDocument.Parse(json);
        var items = new List<JsonElement>();
        foreach (var command in document.RootElement.GetProperty("nftables").EnumerateArray())
        {
            foreach (var property in command.EnumerateObject())
            {
                if (property.NameEquals("add") || property.NameEquals("create"))
                {
                    items.Add(property.Value.Clone());
                }
                else if (property.NameEquals("delete") && property.Value.TryGetProperty("table", out var gone))
                {
                    items.RemoveAll(item => item.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object
                        && HostLinks.Text(p.Value, "family") == HostLinks.Text(gone, "family")
                        && HostLinks.Text(p.Value, p.NameEquals("table") ? "name" : "table") == HostLinks.Text(gone, "name")));
                }
            }
        }

        return new NftSnapshot(items);
    }

    /// <summary>The chains of every table, as nft reports them.</summary>
    public IEnumerable<JsonElement> Chains => _items.Where(item => item.TryGetProperty("chain", out _)).Select(item => item.GetProperty("chain"));
}
