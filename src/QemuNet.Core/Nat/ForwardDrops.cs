using QemuNet.Core.Engine;

namespace QemuNet.Core.Nat;

/// <summary>
/// A forward-hook chain of someone else's table whose policy drops IPv4 traffic (Docker's FORWARD DROP, for one), and
/// <see cref="FixChain"/>, where accept rules for a bridge belong: Docker's DOCKER-USER when the table has one (Docker
/// leaves that chain to the admin and jumps to it first), else the dropping chain itself.
/// </summary>
public sealed record ForwardDrop(string Family, string Table, string Chain, string FixChain);

/// <summary>Other firewall tables whose forward chain drops by default (Docker's FORWARD policy DROP), and the fix.</summary>
public static class ForwardDrops
{
    /// <summary>The chain Docker creates for the admin's own rules; Docker never flushes it and jumps to it before its own.</summary>
    public const string DockerUserChain = "DOCKER-USER";

    /// <summary>
    /// The shell line that lets a bridge's traffic through <paramref name="drop"/>, to paste as root where the cmdlet ran:
    /// entering the namespace first when the cmdlet worked in one through `ip netns exec` (<paramref name="execNamespace"/>).
    /// </summary>
    public static string Fix(ForwardDrop drop, string bridge, string? execNamespace)
    {
        var enter = execNamespace is null ? string.Empty : $"ip netns exec {execNamespace} ";
        return string.Join("; ", new[] { "iifname", "oifname" }.Select(match =>
            $"{enter}nft insert rule {drop.Family} {drop.Table} {drop.FixChain} '{match} \"{bridge}\" accept'"));
    }

    /// <summary>Why the fix goes where it goes, for Docker (null otherwise): the iptables form a Docker admin knows, too.</summary>
    public static string? FixNote(ForwardDrop drop, string bridge) => drop.FixChain != DockerUserChain ? null
        : $"Docker keeps its {DockerUserChain} chain for the admin's own rules, so the fix goes there "
          + $"(the same as iptables -I {DockerUserChain} -i {bridge} -j ACCEPT and iptables -I {DockerUserChain} -o {bridge} -j ACCEPT).";

    public static IReadOnlyList<ForwardDrop> Find(NftSnapshot ruleset)
    {
        var chains = ruleset.Chains.ToArray();
        var drops = new List<ForwardDrop>();
        foreach (var chain in chains)
        {
            var family = chain.GetProperty("family").GetString()!;
            var table = chain.GetProperty("table").GetString()!;
            // NAT networks are IPv4: an ip6 table (Docker's ip6tables FORWARD DROP) never sees their traffic.
            if (family is "ip" or "inet"
                && chain.TryGetProperty("hook", out var hook) && hook.GetString() == "forward"
                && chain.TryGetProperty("policy", out var policy) && policy.GetString() == "drop"
                && !table.StartsWith("qemunet_", StringComparison.Ordinal))
            {
                var name = chain.GetProperty("name").GetString()!;
                var dockerUser = chains.Any(c => c.GetProperty("family").GetString() == family && c.GetProperty("table").GetString() == table
                    && c.GetProperty("name").GetString() == DockerUserChain);
                drops.Add(new ForwardDrop(family, table, name, dockerUser ? DockerUserChain : name));
            }
        }

        return drops;
    }
}
