using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using QemuNet.Core.Model;
using QemuNet.Core.Vm;

namespace QemuNet.Core.Host;

/// <summary>What the host looks like for one NAT network, read before planning.</summary>
public sealed record NatObservation(
    bool BridgeExists,
    bool IsBridge,
    bool BridgeHasAddress,
    bool BridgeUp,
    string IpForward,
    bool TableExists,
    string? TableListing,
    int? DnsmasqPid)
{
    public static readonly NatObservation Empty = new(false, false, false, false, "0", false, null, null);
}

public sealed class QemuNatLease
{
    public required string Network { get; init; }

    public required string MacAddress { get; init; }

    public required string IPAddress { get; init; }

    public string? HostName { get; init; }

    public DateTimeOffset? Expires { get; init; }

    public bool Reserved { get; init; }
}

/// <summary>Plans and applies NAT networks: observe, plan, confirm (by the caller), apply with journal and rollback.</summary>
public sealed class NatManager
{
    public const string IpForwardKey = "net.ipv4.ip_forward";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public NatManager(HostContext host, string stateDirectory)
    {
        Host = host;
        StateDirectory = stateDirectory;
    }

    public HostContext Host { get; }

    public string StateDirectory { get; }

    public NatPaths PathsFor(string name) => new(StateDirectory, Host.NetworkNamespace, name);

    // ---- reading ----

    public IReadOnlyList<QemuNatNetwork> ListRecords()
    {
        var dir = PathsFor(string.Empty).Directory;
        if (!Directory.Exists(dir))
        {
            return [];
        }

        return Directory.EnumerateFiles(dir, "*.json")
            .Select(Load)
            .OfType<QemuNatNetwork>()
            .Where(n => n.NetworkNamespace == Host.NetworkNamespace)
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .ToArray();
    }

    public QemuNatNetwork? Find(string name) => Load(PathsFor(name).Record) is { } n && n.NetworkNamespace == Host.NetworkNamespace ? n : null;

    public QemuNatNetwork Get(string name) => Find(name) ?? throw new QemuNetException("NatNotFound", QemuNetErrorCategory.ObjectNotFound, name,
        $"There is no NAT network named '{name}'" + (Host.NetworkNamespace is null ? "." : $" in namespace {Host.NetworkNamespace}."),
        "Run Get-QemuNat to list the networks, or create it with Enable-QemuNat.");

    public async Task<NatObservation> ObserveAsync(QemuNatNetwork net, CancellationToken ct)
    {
        var link = await HostLinks.GetAsync(Host, net.BridgeName, ct).ConfigureAwait(false);
        var hasAddress = link is not null && (await HostLinks.GetAddressesAsync(Host, net.BridgeName, ct).ConfigureAwait(false))
            .Any(a => !a.IPv6 && a.Local == net.Gateway && a.PrefixLength == net.Network.PrefixLength);

        var table = await Host.RunAsync("nft", ["list", "table", "inet", net.TableName], ct, throwOnFailure: false).ConfigureAwait(false);
        var paths = PathsFor(net.Name);
        return new NatObservation(link is not null, link?.Kind == "bridge", hasAddress, link?.Up == true, await Host.ReadSysctlAsync(IpForwardKey, ct).ConfigureAwait(false),
            table.Succeeded, table.Succeeded ? table.StandardOutput : null, HostContext.LivePid(paths.DnsmasqPid, paths.DnsmasqConf));
    }

    /// <summary>The network as it stands: its record plus what is running and any drift from what was applied.</summary>
    public async Task<QemuNatNetwork> RefreshAsync(QemuNatNetwork net, CancellationToken ct)
    {
        var o = await ObserveAsync(net, ct).ConfigureAwait(false);
        var drift = new List<string>();
        if (!o.BridgeExists)
        {
            drift.Add($"bridge {net.BridgeName} is missing");
        }
        else if (!o.BridgeHasAddress)
        {
            drift.Add($"bridge {net.BridgeName} lacks {net.Gateway}/{net.Network.PrefixLength}");
        }

        if (!o.TableExists)
        {
            drift.Add($"nftables table inet {net.TableName} is missing");
        }
        else if (ReadSavedListing(net) is { } saved && saved != o.TableListing)
        {
            drift.Add($"nftables table inet {net.TableName} was changed since it was applied");
        }

        if ((net.Dhcp || net.Dns) && o.DnsmasqPid is null)
        {
            drift.Add("dnsmasq is not running");
        }

        if (o.IpForward != "1")
        {
            drift.Add($"{IpForwardKey} is {o.IpForward}");
        }

        net.DnsmasqPid = o.DnsmasqPid;
        net.Drift = drift;
        net.State = drift.Count == 0 ? QemuNatState.Active : QemuNatState.Degraded;
        return net;
    }

    public IReadOnlyList<QemuNatLease> GetLeases(QemuNatNetwork net)
    {
        var file = PathsFor(net.Name).Leases;
        if (!File.Exists(file))
        {
            return [];
        }

        return File.ReadAllLines(file)
            .Select(line => line.Split(' '))
            .Where(f => f.Length >= 4)
            .Select(f => new QemuNatLease
            {
                Network = net.Name,
                MacAddress = f[1],
                IPAddress = f[2],
                HostName = f[3] == "*" ? null : f[3],
                Expires = long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t > 0 ? DateTimeOffset.FromUnixTimeSeconds(t) : null,
                Reserved = net.Reservations.Any(r => r.MacAddress == f[1]),
            })
            .ToArray();
    }

    /// <summary>Warnings about other firewall tables that drop forwarded traffic (Docker sets FORWARD policy DROP).</summary>
    public async Task<IReadOnlyList<string>> FindForwardDropsAsync(QemuNatNetwork net, CancellationToken ct)
    {
        var warnings = new List<string>();
        foreach (var (family, table, name) in await HostProbe.FindForwardDropsAsync(Host, ct).ConfigureAwait(false))
        {
            warnings.Add($"The {family} table '{table}' chain '{name}' drops forwarded traffic by default (policy drop), so guests on {net.BridgeName} "
                + $"cannot get out even with QemuNet's accept rules. Fix: add accepts there, e.g. 'nft insert rule {family} {table} {name} iifname \"{net.BridgeName}\" accept' "
                + $"and 'nft insert rule {family} {table} {name} oifname \"{net.BridgeName}\" accept' (for Docker: iptables -I DOCKER-USER -i {net.BridgeName} -j ACCEPT "
                + $"and -o {net.BridgeName} -j ACCEPT).");
        }

        return warnings;
    }

    // ---- planning ----

    /// <summary>
    /// The network to enable: the recorded one when it exists with the same settings (keeping its reservations,
    /// forwards and forwarding duty), else the new one after checking it against the host.
    /// </summary>
    public async Task<QemuNatNetwork> PrepareEnableAsync(QemuNatNetwork wanted, CancellationToken ct)
    {
        if (Find(wanted.Name) is { } existing)
        {
            if (existing.BridgeName != wanted.BridgeName || existing.Subnet != wanted.Subnet || existing.Dhcp != wanted.Dhcp
                || existing.DhcpStart != wanted.DhcpStart || existing.DhcpEnd != wanted.DhcpEnd || existing.Dns != wanted.Dns
                || existing.DomainName != wanted.DomainName || existing.Uplink != wanted.Uplink)
            {
                throw new QemuNetException("NatSettingsConflict", QemuNetErrorCategory.ResourceExists, wanted.Name,
                    $"The NAT network '{wanted.Name}' exists with other settings ({existing.Subnet} on {existing.BridgeName}).",
                    "Disable-QemuNat it first, or enable it with the same settings.");
            }

            return existing;
        }

        await CheckNewAsync(wanted, ct).ConfigureAwait(false);
        return wanted;
    }

    /// <summary>Checks a new network against the host and the module's other networks; throws before anything changes.</summary>
    public async Task CheckNewAsync(QemuNatNetwork net, CancellationToken ct)
    {
        foreach (var other in ListRecords().Where(o => o.Name != net.Name))
        {
            if (other.BridgeName == net.BridgeName)
            {
                throw new QemuNetException("NatBridgeNameInUse", QemuNetErrorCategory.ResourceExists, net.BridgeName,
                    $"The bridge {net.BridgeName} already belongs to the NAT network '{other.Name}'.",
                    "Give -BridgeName another name; Get-QemuNat shows the bridges already in use.");
            }

            if (other.TableName == net.TableName)
            {
                throw new QemuNetException("NatNameInUse", QemuNetErrorCategory.ResourceExists, net.Name,
                    $"The name '{net.Name}' maps to the same firewall table as the network '{other.Name}'; choose another name.",
                    "Give -Name another network name; Get-QemuNat lists the names in use.");
            }

            if (Overlaps(other.Network, net.Network))
            {
                throw new QemuNetException("NatSubnetOverlap", QemuNetErrorCategory.ResourceExists, net.Subnet,
                    $"The subnet {net.Subnet} overlaps {other.Subnet} of the NAT network '{other.Name}'.",
                    "Give -Subnet a network no other NAT network uses, e.g. 192.168.123.0/24; Get-QemuNat lists their subnets.");
            }
        }

        if (Find(net.Name) is null)
        {
            if (await HostLinks.GetAsync(Host, net.BridgeName, ct).ConfigureAwait(false) is not null)
            {
                throw new QemuNetException("NatBridgeNameInUse", QemuNetErrorCategory.ResourceExists, net.BridgeName,
                    $"A link named {net.BridgeName} already exists and is not a QemuNet network's bridge.",
                    "Choose another -BridgeName.");
            }

            var routes = await Host.RunAsync("ip", ["-json", "-4", "route", "show", "table", "main"], ct).ConfigureAwait(false);
            foreach (var route in JsonDocument.Parse(routes.StandardOutput).RootElement.EnumerateArray())
            {
                var dst = route.GetProperty("dst").GetString();
                if (dst is null or "default")
                {
                    continue;
                }

                var cidr = dst.Contains('/', StringComparison.Ordinal) ? dst : dst + "/32";
                var slash = cidr.IndexOf('/', StringComparison.Ordinal);
                if (Ipv4Network.TryParseAddress(cidr[..slash], out var address)
                    && int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    && Overlaps(new Ipv4Network(address & (length == 0 ? 0 : uint.MaxValue << (32 - length)), length), net.Network))
                {
                    var dev = route.TryGetProperty("dev", out var d) ? d.GetString() : "?";
                    throw new QemuNetException("NatSubnetOverlap", QemuNetErrorCategory.ResourceExists, net.Subnet,
                        $"The subnet {net.Subnet} overlaps the route {dst} on {dev}; guests there could not reach that network.",
                        "Choose a -Subnet that no route of this host covers.");
                }
            }
        }
    }

    /// <summary>The steps still needed to bring <paramref name="net"/> up: none when it already is.</summary>
    public IReadOnlyList<HostStep> PlanEnable(QemuNatNetwork net, NatObservation o)
    {
        var paths = PathsFor(net.Name);
        var steps = new List<HostStep>();
        var prefix = net.Network.PrefixLength.ToString(CultureInfo.InvariantCulture);
        if (o.BridgeExists && !o.IsBridge)
        {
            throw new QemuNetException("NatBridgeNameInUse", QemuNetErrorCategory.ResourceExists, net.BridgeName,
                $"The link {net.BridgeName} exists and is not a bridge.",
                "Give -BridgeName a name no link has yet; run 'ip link' to see the names in use.");
        }

        if (!o.BridgeExists)
        {
            steps.Add(new HostStep(net.BridgeName, "Create bridge",
                [Ip("link", "add", "name", net.BridgeName, "type", "bridge")],
                [Ip(ignore: true, "link", "del", net.BridgeName)]));
        }

        if (!o.BridgeHasAddress)
        {
            steps.Add(new HostStep(net.BridgeName, $"Add address {net.Gateway}/{prefix}",
                [Ip("addr", "add", $"{net.Gateway}/{prefix}", "dev", net.BridgeName)],
                [Ip(ignore: true, "addr", "del", $"{net.Gateway}/{prefix}", "dev", net.BridgeName)]));
        }

        if (!o.BridgeUp)
        {
            steps.Add(new HostStep(net.BridgeName, "Set link up",
                [Ip("link", "set", "dev", net.BridgeName, "up")],
                [Ip(ignore: true, "link", "set", "dev", net.BridgeName, "down")]));
        }

        var restore = net.RestoreIpForward;
        if (o.IpForward != "1")
        {
            restore = true;
            steps.Add(new HostStep(IpForwardKey, "Turn on IPv4 forwarding",
                [new SetSysctl(IpForwardKey, "1")],
                [new SetSysctl(IpForwardKey, o.IpForward)]));
        }

        var recorded = net.With(restoreIpForward: restore);
        AddFirewallStep(steps, recorded, o);
        AddDnsmasqSteps(steps, recorded, o, paths);

        var record = JsonSerializer.Serialize(recorded, Json);
        if (!File.Exists(paths.Record) || File.ReadAllText(paths.Record) != record)
        {
            steps.Add(new HostStep(paths.Record, "Save network record",
                [new WriteFile(paths.Record, record)],
                File.Exists(paths.Record) ? [new WriteFile(paths.Record, File.ReadAllText(paths.Record))] : [new DeleteFile(paths.Record)]));
        }

        return steps;
    }

    /// <summary>The steps that remove exactly what Enable created.</summary>
    public IReadOnlyList<HostStep> PlanDisable(QemuNatNetwork net, NatObservation o)
    {
        var paths = PathsFor(net.Name);
        var steps = new List<HostStep>();
        if (o.DnsmasqPid is not null)
        {
            steps.Add(new HostStep($"dnsmasq (pid {o.DnsmasqPid})", "Stop dnsmasq",
                [new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, NativeMethods.SIGTERM)],
                [new RunProgram("dnsmasq", ["--conf-file=" + paths.DnsmasqConf], IgnoreFailure: true)]));
        }

        if (o.TableExists)
        {
            steps.Add(new HostStep($"nftables table inet {net.TableName}", "Delete firewall table",
                [new RunProgram("nft", ["delete", "table", "inet", net.TableName])],
                [new RunProgram("nft", ["-f", "-"], NftRuleset.ReplaceTransaction(net), IgnoreFailure: true)]));
        }

        var others = ListRecords().Where(n => n.Name != net.Name).ToList();
        if (net.RestoreIpForward && others.Count == 0 && o.IpForward == "1")
        {
            steps.Add(new HostStep(IpForwardKey, "Turn off IPv4 forwarding (QemuNet turned it on)",
                [new SetSysctl(IpForwardKey, "0")],
                [new SetSysctl(IpForwardKey, "1")]));
        }
        else if (net.RestoreIpForward && others.Count > 0)
        {
            // Another network still needs forwarding: it inherits the duty to turn it off.
            var heir = others[0];
            var heirPaths = PathsFor(heir.Name);
            steps.Add(new HostStep(heirPaths.Record, $"Hand the IPv4 forwarding setting to network '{heir.Name}'",
                [new WriteFile(heirPaths.Record, JsonSerializer.Serialize(heir.With(restoreIpForward: true), Json))],
                [new WriteFile(heirPaths.Record, File.ReadAllText(heirPaths.Record))]));
        }

        if (o.BridgeExists)
        {
            var prefix = net.Network.PrefixLength.ToString(CultureInfo.InvariantCulture);
            steps.Add(new HostStep(net.BridgeName, "Delete bridge",
                [Ip("link", "del", net.BridgeName)],
                [Ip(ignore: true, "link", "add", "name", net.BridgeName, "type", "bridge"),
                 Ip(ignore: true, "addr", "add", $"{net.Gateway}/{prefix}", "dev", net.BridgeName),
                 Ip(ignore: true, "link", "set", "dev", net.BridgeName, "up")]));
        }

        var files = new[] { paths.DnsmasqConf, paths.HostsFile, paths.Leases, paths.DnsmasqPid, SavedListingPath(net), paths.Record }.Where(File.Exists).ToList();
        if (files.Count > 0)
        {
            steps.Add(new HostStep(paths.Directory, $"Remove the network's files ({string.Join(", ", files.Select(Path.GetFileName))})",
                files.Select(f => (HostAction)new DeleteFile(f)).ToArray(),
                File.Exists(paths.Record) ? [new WriteFile(paths.Record, File.ReadAllText(paths.Record))] : []));
        }

        return steps;
    }

    /// <summary>Steps that change only reservations and forwards of an active network.</summary>
    public IReadOnlyList<HostStep> PlanUpdate(QemuNatNetwork current, QemuNatNetwork next)
    {
        var paths = PathsFor(current.Name);
        var steps = new List<HostStep>();
        if (NftRuleset.Render(current) != NftRuleset.Render(next))
        {
            steps.Add(new HostStep($"nftables table inet {next.TableName}", "Replace firewall rules (port forwards)",
                [new RunProgram("nft", ["-f", "-"], NftRuleset.ReplaceTransaction(next))],
                [new RunProgram("nft", ["-f", "-"], NftRuleset.ReplaceTransaction(current), IgnoreFailure: true)]));
        }

        var hosts = DnsmasqConfig.RenderHosts(next);
        if (DnsmasqConfig.RenderHosts(current) != hosts)
        {
            steps.Add(new HostStep(paths.HostsFile, "Update DHCP reservations and reload dnsmasq (SIGHUP)",
                [new WriteFile(paths.HostsFile, hosts), new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, 1)],
                [new WriteFile(paths.HostsFile, DnsmasqConfig.RenderHosts(current)), new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, 1)]));
        }

        steps.Add(new HostStep(paths.Record, "Save network record",
            [new WriteFile(paths.Record, JsonSerializer.Serialize(next, Json))],
            [new WriteFile(paths.Record, JsonSerializer.Serialize(current, Json))]));
        return steps;
    }

    // ---- applying ----

    public async Task ApplyAsync(QemuNatNetwork net, IReadOnlyList<HostStep> steps, CancellationToken ct)
    {
        var paths = PathsFor(net.Name);
        Directory.CreateDirectory(paths.Directory);
        var executor = new PlanExecutor(Host);
        await executor.ApplyAsync(steps, paths.Journal, ct).ConfigureAwait(false);
        if (File.Exists(paths.Record))
        {
            // What nft lists right after applying, to tell drift later.
            var table = await Host.RunAsync("nft", ["list", "table", "inet", net.TableName], ct, throwOnFailure: false).ConfigureAwait(false);
            if (table.Succeeded)
            {
                await File.WriteAllTextAsync(SavedListingPath(net), table.StandardOutput, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Undoes what a process killed half-way through left in the network's journal.</summary>
    public Task RecoverAsync(string name) => new PlanExecutor(Host).RollBackJournalAsync(PathsFor(name).Journal);

    public Task<IDisposable> LockAsync(CancellationToken ct) => PlanExecutor.LockAsync(Path.Combine(StateDirectory, "nat", ".lock"), ct);

    private void AddFirewallStep(List<HostStep> steps, QemuNatNetwork net, NatObservation o)
    {
        var saved = ReadSavedListing(net);
        var unchanged = o.TableExists && saved is not null && saved == o.TableListing
            && Find(net.Name) is { } old && NftRuleset.Render(old) == NftRuleset.Render(net);
        if (!unchanged)
        {
            steps.Add(new HostStep($"nftables table inet {net.TableName}", "Install masquerade and forward rules",
                [new RunProgram("nft", ["-f", "-"], NftRuleset.ReplaceTransaction(net))],
                [new RunProgram("nft", ["delete", "table", "inet", net.TableName], IgnoreFailure: true)]));
        }
    }

    private static void AddDnsmasqSteps(List<HostStep> steps, QemuNatNetwork net, NatObservation o, NatPaths paths)
    {
        if (!net.Dhcp && !net.Dns)
        {
            return;
        }

        var conf = DnsmasqConfig.Render(net, paths);
        var hosts = DnsmasqConfig.RenderHosts(net);
        var confCurrent = File.Exists(paths.DnsmasqConf) && File.ReadAllText(paths.DnsmasqConf) == conf
            && File.Exists(paths.HostsFile) && File.ReadAllText(paths.HostsFile) == hosts;
        if (o.DnsmasqPid is not null && confCurrent)
        {
            return;
        }

        var apply = new List<HostAction>();
        if (o.DnsmasqPid is not null)
        {
            apply.Add(new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, NativeMethods.SIGTERM));
        }

        apply.Add(new WriteFile(paths.DnsmasqConf, conf));
        apply.Add(new WriteFile(paths.HostsFile, hosts));
        apply.Add(new RunProgram("dnsmasq", ["--conf-file=" + paths.DnsmasqConf]));
        steps.Add(new HostStep($"dnsmasq on {net.BridgeName}", $"Start dnsmasq for DHCP{(net.Dns ? " and DNS" : string.Empty)}",
            apply,
            [new SignalPidFile(paths.DnsmasqPid, paths.DnsmasqConf, NativeMethods.SIGTERM),
             new DeleteFile(paths.DnsmasqConf), new DeleteFile(paths.HostsFile), new DeleteFile(paths.DnsmasqPid), new DeleteFile(paths.Leases)]));
    }

    private string SavedListingPath(QemuNatNetwork net) => Path.Combine(PathsFor(net.Name).Directory, net.Name + ".nft");

    private string? ReadSavedListing(QemuNatNetwork net) => File.Exists(SavedListingPath(net)) ? File.ReadAllText(SavedListingPath(net)) : null;

    private static RunProgram Ip(params string[] args) => new("ip", args);

    private static RunProgram Ip(bool ignore, params string[] args) => new("ip", args, IgnoreFailure: ignore);

    private static bool Overlaps(Ipv4Network a, Ipv4Network b)
    {
        var len = Math.Min(a.PrefixLength, b.PrefixLength);
        var mask = len == 0 ? 0u : uint.MaxValue << (32 - len);
        return (a.Network & mask) == (b.Network & mask);
    }

    private static QemuNatNetwork? Load(string file)
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<QemuNatNetwork>(File.ReadAllText(file), Json) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string Serialize(QemuNatNetwork net) => JsonSerializer.Serialize(net, Json);
}
