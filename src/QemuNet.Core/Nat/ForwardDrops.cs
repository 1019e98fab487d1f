using System.Text.Json;
using QemuNet.Core.Engine;

namespace QemuNet.Core.Nat;

/// <summary>A forward-hook chain of someone else's table whose policy drops (Docker's FORWARD DROP, for one).</summary>
public sealed record ForwardDrop(string Family, string Table, string Chain);

/// <summary>Other firewall tables whose forward chain drops by default (Docker's FORWARD policy DROP), and the fix.</summary>
public static class ForwardDrops
{
    /// <summary>How to let a bridge's traffic through another table's dropping forward chain (nft, and Docker's iptables chain).</summary>
    public static string Fix(string family, string table, string chain, string bridge) =>
        $"Fix: 'nft insert rule {family} {table} {chain} iifname \"{bridge}\" accept' and 'nft insert rule {family} {table} {chain} oifname \"{bridge}\" accept' "
        + $"(for Docker: iptables -I DOCKER-USER -i {bridge} -j ACCEPT and -o {bridge} -j ACCEPT).";

    public static async Task<IReadOnlyList<ForwardDrop>> FindAsync(HostContext host, CancellationToken ct)
    {
        var result = await host.RunAsync("nft", ["-j", "list", "chains"], ct, throwOnFailure: false).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return [];
        }

        var drops = new List<ForwardDrop>();
        foreach (var item in JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("chain", out var chain)
                && chain.TryGetProperty("hook", out var hook) && hook.GetString() == "forward"
                && chain.TryGetProperty("policy", out var policy) && policy.GetString() == "drop"
                && !chain.GetProperty("table").GetString()!.StartsWith("qemunet_", StringComparison.Ordinal))
            {
                drops.Add(new ForwardDrop(chain.GetProperty("family").GetString()!, chain.GetProperty("table").GetString()!, chain.GetProperty("name").GetString()!));
            }
        }

        return drops;
    }
}
