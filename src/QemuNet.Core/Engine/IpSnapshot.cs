using System.Text;
using System.Text.Json;

namespace QemuNet.Core.Engine;

/// <summary>A route of the main IPv4 table: destination ("default" or a prefix), device, next hop.</summary>
public sealed record HostRoute(string Destination, string? Device, string? Gateway);

/// <summary>
/// One look at a namespace: every link with its details and global addresses, and the main IPv4 routing table,
/// from a single `ip -json -details -batch -` (one program instead of one per link and question).
/// </summary>
public sealed class IpSnapshot
{
    private const string Commands = "addr show\nroute show table main\n";

    private readonly Dictionary<string, (LinkState Link, IReadOnlyList<LinkAddress> Addresses)> _links;

    private IpSnapshot(Dictionary<string, (LinkState, IReadOnlyList<LinkAddress>)> links, IReadOnlyList<LinkState> order, IReadOnlyList<HostRoute> routes)
    {
        _links = links;
        Links = order;
        Routes = routes;
    }

    /// <summary>Every link, in the kernel's order.</summary>
    public IReadOnlyList<LinkState> Links { get; }

    public IReadOnlyList<HostRoute> Routes { get; }

    public LinkState? Link(string name) => _links.TryGetValue(name, out var entry) ? entry.Link : null;

    /// <summary>Global-scope addresses of a link, in the kernel's order; none when it does not exist.</summary>
    public IReadOnlyList<LinkAddress> Addresses(string name) => _links.TryGetValue(name, out var entry) ? entry.Addresses : [];

    /// <summary>The names of a bridge's ports, in the kernel's order.</summary>
    public IReadOnlyList<string> Ports(string bridge) => Links.Where(l => l.Master == bridge).Select(l => l.Name).ToArray();

    public static async Task<IpSnapshot> TakeAsync(HostContext host, CancellationToken ct)
    {
        var result = await host.RunAsync("ip", ["-json", "-details", "-batch", "-"], ct, Commands).ConfigureAwait(false);
        return Parse(result.StandardOutput);
    }

    /// <summary>The batch's output: one JSON array per command, in the order of <see cref="Commands"/>.</summary>
    public static IpSnapshot Parse(string output)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(output), new JsonReaderOptions { AllowMultipleValues = true });
        var documents = new List<JsonDocument>();
        try
        {
            // Each parse leaves the reader on the value's last token; Read moves it to the next value's first.
            while (documents.Count < 2 && reader.Read())
            {
                documents.Add(JsonDocument.ParseValue(ref reader));
            }
        }
        catch (JsonException)
        {
            // Fewer answers than questions: said below.
        }

        if (documents.Count != 2)
        {
            throw new QemuNetException("HostCommandFailed", QemuNetErrorCategory.InvalidResult, "ip -batch",
                $"ip -json -batch gave {documents.Count} answers to two questions: {output.Trim()}", "Check that iproute2 supports -json (iproute2 4.13 or later).");
        }

        var links = new Dictionary<string, (LinkState, IReadOnlyList<LinkAddress>)>(StringComparer.Ordinal);
        var order = new List<LinkState>();
        foreach (var element in documents[0].RootElement.EnumerateArray())
        {
            var link = HostLinks.ToLink(element);
            links[link.Name] = (link, LinkCarry.ParseAddresses(element, link.Name));
            order.Add(link);
        }

        var routes = documents[1].RootElement.EnumerateArray()
            .Select(r => new HostRoute(HostLinks.Text(r, "dst") ?? "default", HostLinks.Text(r, "dev"), HostLinks.Text(r, "gateway"))).ToArray();
        documents.ForEach(d => d.Dispose());
        return new IpSnapshot(links, order, routes);
    }
}
