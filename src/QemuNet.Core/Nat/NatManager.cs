using System.Globalization;
using System.Text.Json;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;

namespace QemuNet.Core.Nat;

public sealed class QemuNatLease
{
    public required string Network { get; init; }

    public required string MacAddress { get; init; }

    public required string IPAddress { get; init; }

    public string? HostName { get; init; }

    public DateTimeOffset? Expires { get; init; }

    /// <summary>The guest's IPv6 address on a dual-stack network: its DHCPv6 lease, or the SLAAC address the host has seen it use.</summary>
    public string? IPv6Address { get; init; }

    public bool Reserved { get; init; }

    public string IP => IPAddress;

    internal QemuNatLease With(string ipv6Address) => new()
    {
        Network = Network, MacAddress = MacAddress, IPAddress = IPAddress, HostName = HostName, Expires = Expires, Reserved = Reserved, IPv6Address = ipv6Address,
    };
}

/// <summary>
/// The NAT network driver: reads the books and the host (observe), hands <see cref="NatPlanner"/>'s steps to the
/// engine's <see cref="PlanRunner"/>, and reports networks as they stand (including what a killed command left).
/// </summary>
public sealed class NatManager
{
    public const string Kind = "nat";

    /// <summary>Overrides where the files dnsmasq reads as "nobody" live (tests); see <see cref="NatPaths"/>.</summary>
    public const string ReadableDirectoryVariable = "QEMUNET_DNSMASQ_DIR";

    private const UnixFileMode ReadableMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly StateStore _store;

    public NatManager(HostContext host, StateStore store)
    {
        Host = host;
        _store = store;
        Directory = store.PeekFolder(Kind, host.Id);
        ReadableDirectory = Path.Combine(ReadableRoot(store), host.Id.Key);
        Runner = new PlanRunner(host, Directory);
    }

    public HostContext Host { get; }

    /// <summary>This namespace's NAT books.</summary>
    public string Directory { get; }

    public string ReadableDirectory { get; }

    public PlanRunner Runner { get; }

    public NatPaths PathsFor(string name) => new(Directory, ReadableDirectory, name) { Definition = DefinitionStore.PathFor(Host.Id, Kind, name) };

    /// <summary>The configuration directory's definitions (checked only when a definition is read or written).</summary>
    public DefinitionStore Definitions => _definitions ??= DefinitionStore.Open();

    private DefinitionStore? _definitions;

    /// <summary>The ruleset as the last observation read it.</summary>
    private NftSnapshot? _ruleset;

    /// <summary>Checks and makes the definition folder before a plan that writes into it.</summary>
    private void PrepareDefinitions(QemuNatNetwork net)
    {
        if (net.AutoStart)
        {
            Definitions.Prepare(DefinitionStore.NamespaceName(Host.Id, net.Name), "nat");
        }
    }

    /// <summary>/run/qemunet-dnsmasq for root (beside, not inside, a state tree that may be 0700), or $QEMUNET_DNSMASQ_DIR.</summary>
    public static string ReadableRoot(StateStore store) =>
        Environment.GetEnvironmentVariable(ReadableDirectoryVariable) is { Length: > 0 } dir ? Path.GetFullPath(dir)
        : Environment.IsPrivilegedProcess ? "/run/qemunet-dnsmasq"
        : Path.Combine(store.Root, "dnsmasq");

    // ---- reading (never changes the host) ----

    /// <summary>
    /// The networks of this namespace as recorded, plus those only a journal knows (a killed Enable), and the records
    /// that could not be trusted (each a StateRecordCorrupt/Invalid error naming its file).
    /// </summary>
    public (IReadOnlyList<QemuNatNetwork> Networks, IReadOnlyList<QemuNetException> Problems) ListRecords()
    {
        var networks = new List<QemuNatNetwork>();
        var problems = new List<QemuNetException>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return (networks, problems);
        }

        var names = System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(f => Path.GetFileNameWithoutExtension(f))
            .Concat(System.IO.Directory.EnumerateFiles(Directory, "*.journal").Select(f => Path.GetFileNameWithoutExtension(f)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            try
            {
                if (Find(name) is { } net)
                {
                    networks.Add(net);
                }
            }
            catch (QemuNetException ex)
            {
                problems.Add(ex);
            }
        }

        return (networks, problems);
    }

    /// <summary>The network named <paramref name="name"/>: its record, or what an interrupted Enable's journal says it was making.</summary>
    public QemuNatNetwork? Find(string name)
    {
        var paths = PathsFor(name);
        var record = StateStore.Load<QemuNatNetwork>(paths.Record, NatPlanner.Json, r => CheckRecord(r, name));
        var journal = Runner.JournalFor(name);
        var entries = journal.Exists ? journal.Read() : null;
        if (entries is null || Journal.IsFinished(entries))
        {
            return record is null ? null : record with { NetworkNamespace = Host.NetworkNamespace };
        }

        var subject = record ?? (Journal.Begin(entries)?.Subject is { } text ? ParseSubject(text, journal.Path, name) : null);
        if (subject is null)
        {
            return null;
        }

        return subject with
        {
            NetworkNamespace = Host.NetworkNamespace,
            State = QemuNatState.Incomplete,
            Drift = [$"{Journal.DescribeInterruption(entries)} The next Enable-QemuNat or Disable-QemuNat of '{name}' finishes or undoes it."],
        };
    }

    public QemuNatNetwork Get(string name) => Find(name) ?? throw NotFound(name);

    public QemuNetException NotFound(string name) => new("NatNotFound", QemuNetErrorCategory.ObjectNotFound, name,
        $"There is no NAT network named '{name}'{Host.Where}.",
        "Run Get-QemuNat to list the networks (add -NetworkNamespace for one in a namespace), or create it with Enable-QemuNat.");

    /// <summary>
    /// What the host has of the network, read once: links, addresses and routes from one <see cref="IpSnapshot"/>
    /// (taken here unless the caller has one), the firewall table, the network's files and the sysctls.
    /// </summary>
    public async Task<NatObservation> ObserveAsync(QemuNatNetwork net, CancellationToken ct, IpSnapshot? snapshot = null)
    {
        var paths = PathsFor(net.Name);
        var ip = snapshot ?? await IpSnapshot.TakeAsync(Host, ct).ConfigureAwait(false);
        var link = ip.Link(net.BridgeName);
        var addresses = ip.Addresses(net.BridgeName);
        var hasAddress = addresses.Any(a => !a.IPv6 && a.Local == net.Gateway && a.PrefixLength == net.Network.PrefixLength);
        var hasAddress6 = net.Gateway6 is not null && addresses.Any(a => a.IPv6 && a.Local == net.Gateway6 && a.PrefixLength == Ipv6Prefix.Length);
        var ipv6 = net.Subnet6 is not null || net.RestoreIpv6Forward;
        var bridgeRoutes = ip.Routes.Where(r => r.Device == net.BridgeName && r.Gateway is not null)
            .Select(r => $"{r.Destination} via {r.Gateway}").ToHashSet(StringComparer.Ordinal);

        var owned = link?.Alias == NatPlanner.BridgeAlias(net);
        _ruleset = await NftSnapshot.TakeAsync(Host, ct).ConfigureAwait(false);
        var table = _ruleset.Table("inet", net.TableName);
        var files = ReadFiles(net, paths);
        var uplink = net.Uplink is null ? null : ip.Link(net.Uplink);
        var stray = new List<StrayTap>();
        foreach (var (vm, tap) in RunningGuestsHere().SelectMany(v => v.Backends().OfType<QemuTapNet>()
                     .Where(t => t.Bridge == net.BridgeName && t.IfName is not null).Select(t => (v.Name, t.IfName!))))
        {
            if (ip.Link(tap) is { Kind: "tun" } found && (found.Master != net.BridgeName || !found.Up))
            {
                stray.Add(new StrayTap(tap, vm, found.Master, found.Up));
            }
        }

        return new NatObservation(link is not null, link?.Kind == "bridge", owned, hasAddress, link?.Up == true,
            await Host.ReadSysctlAsync(NatPlanner.IpForwardKey, ct).ConfigureAwait(false),
            table is not null, table, HostContext.LivePid(paths.DnsmasqPid, paths.DnsmasqConf))
        {
            Files = files,
            InterfaceForwarding = ReadInterfaceForwarding("net.ipv4.conf"),
            BridgeHasAddress6 = hasAddress6,
            BridgeMacAddress = link?.MacAddress,
            Ipv6Forward = ipv6 ? await ReadIpv6ForwardAsync(ct).ConfigureAwait(false) : "0",
            InterfaceIpv6Forwarding = ipv6 ? ReadInterfaceForwarding("net.ipv6.conf") : new Dictionary<string, string>(),
            BridgeRoutes = bridgeRoutes,
            UplinkExists = net.Uplink is null || uplink is not null,
            UplinkMaster = uplink?.Master,
            StrayTaps = stray,
        };
    }

    /// <summary>The network's files that exist, with their text.</summary>
    private static Dictionary<string, string> ReadFiles(QemuNatNetwork net, NatPaths paths)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        // The definition is read only for an autostart network, after its folder was checked (PrepareDefinitions).
        foreach (var file in paths.AllFiles.Append(net.AutoStart ? paths.Definition : null).OfType<string>())
        {
            if (StateStore.ReadText(file) is { } text)
            {
                files[file] = text;
            }
        }

        return files;
    }

    /// <summary>
    /// The network right after a plan for it succeeded, without looking at the links again: the plan's look before it,
    /// with what every step made sure of (the bridge as wanted, owned and up with its addresses and host routes, the
    /// TAPs back on it, the table as nft echoed it), and the files, sysctls and dnsmasq read as they are now.
    /// </summary>
    private async Task<NatObservation> AfterApplyAsync(QemuNatNetwork net, NatObservation before, string appliedTable, CancellationToken ct)
    {
        var paths = PathsFor(net.Name);
        var ipv6 = net.Subnet6 is not null || net.RestoreIpv6Forward;
        return before with
        {
            BridgeExists = true, IsBridge = true, BridgeOwned = true, BridgeHasAddress = true, BridgeUp = true,
            BridgeHasAddress6 = net.Gateway6 is not null,
            BridgeRoutes = NatPlanner.HostRoutes(net).Select(r => r.ToString()).ToHashSet(StringComparer.Ordinal),
            StrayTaps = [],
            TableExists = true, TableListing = appliedTable,
            DnsmasqPid = HostContext.LivePid(paths.DnsmasqPid, paths.DnsmasqConf),
            IpForward = await Host.ReadSysctlAsync(NatPlanner.IpForwardKey, ct).ConfigureAwait(false),
            Ipv6Forward = ipv6 ? await ReadIpv6ForwardAsync(ct).ConfigureAwait(false) : "0",
            Files = ReadFiles(net, paths),
        };
    }

    private async Task<string> ReadIpv6ForwardAsync(CancellationToken ct)
    {
        try
        {
            return await Host.ReadSysctlAsync(NatPlanner.Ipv6ForwardKey, ct).ConfigureAwait(false);
        }
        catch (QemuNetException ex) when (ex.ErrorId == "HostSysctlMissing")
        {
            throw new QemuNetException("NatIpv6Unavailable", QemuNetErrorCategory.NotInstalled, NatPlanner.Ipv6ForwardKey,
                $"IPv6 is off in this kernel or namespace{Host.Where} ({NatPlanner.Ipv6ForwardKey} is missing).",
                "Leave -Subnet6 and -Ipv6 out, or boot without ipv6.disable=1.", ex);
        }
    }

    /// <summary>Every interface's forwarding setting, from the files under /proc/sys as the namespace shows them.</summary>
    private IReadOnlyDictionary<string, string> ReadInterfaceForwarding(string tree) => Host.InNamespace(() =>
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var folder = HostContext.SysctlPath(tree);
        foreach (var dir in System.IO.Directory.Exists(folder) ? System.IO.Directory.EnumerateDirectories(folder) : [])
        {
            try
            {
                found[Path.GetFileName(dir)] = File.ReadAllText(Path.Combine(dir, "forwarding")).Trim();
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // The interface went away while we looked: it has no setting to keep.
            }
        }

        return found;
    });

    /// <summary>The network as it stands: its record plus what is running and any drift from what was applied.</summary>
    public async Task<QemuNatNetwork> RefreshAsync(QemuNatNetwork net, CancellationToken ct) =>
        Refresh(net, await ObserveAsync(net, ct).ConfigureAwait(false));

    /// <summary>The network as <paramref name="o"/> saw it: its record plus what is running and any drift.</summary>
    private QemuNatNetwork Refresh(QemuNatNetwork net, NatObservation o)
    {
        var paths = PathsFor(net.Name);
        var drift = new List<string>(net.Drift);
        if (!o.BridgeExists)
        {
            drift.Add($"bridge {net.BridgeName} is missing");
        }
        else if (!o.BridgeOwned)
        {
            drift.Add($"the link {net.BridgeName} is not the bridge QemuNet made (its alias is not {NatPlanner.BridgeAlias(net)})");
        }
        else if (!o.BridgeHasAddress)
        {
            drift.Add($"bridge {net.BridgeName} lacks {net.Gateway}/{net.Network.PrefixLength}");
        }
        else if (!o.BridgeUp)
        {
            drift.Add($"bridge {net.BridgeName} is down: its guests get no lease and no traffic");
        }

        if (o.BridgeExists && o.BridgeOwned && net.Gateway6 is not null && !o.BridgeHasAddress6)
        {
            drift.Add($"bridge {net.BridgeName} lacks {net.Gateway6}/{Ipv6Prefix.Length}");
        }

        if (o.BridgeExists && o.BridgeOwned && net.Mode == QemuNetworkMode.Routed)
        {
            drift.AddRange(net.Routes.Where(r => !o.BridgeRoutes.Contains(r.ToString())).Select(r => $"route {r} is missing"));
        }

        foreach (var tap in o.StrayTaps)
        {
            drift.Add(tap.Master != net.BridgeName
                ? $"TAP {tap.Name} of the running VM '{tap.Vm}' is not on {net.BridgeName}{(tap.Master is null ? string.Empty : " (it is on " + tap.Master + ")")}: the guest is cut off"
                : $"TAP {tap.Name} of the running VM '{tap.Vm}' is down: the guest is cut off");
        }

        if (net.Uplink is not null && !o.UplinkExists)
        {
            drift.Add($"uplink {net.Uplink} is missing: the guests cannot get out");
        }
        else if (net.Uplink is not null && o.UplinkMaster != net.UplinkBridge)
        {
            drift.Add(o.UplinkMaster is not null
                ? $"uplink {net.Uplink} is now a port of bridge {o.UplinkMaster}, so the masquerade does not match what leaves through {o.UplinkMaster}: the guests cannot get out"
                : $"uplink {net.Uplink} is no longer a port of bridge {net.UplinkBridge}");
        }

        if (!o.TableExists)
        {
            drift.Add($"nftables table inet {net.TableName} is missing");
        }
        else if (o.FileText(paths.AppliedRuleset) is { } saved && saved != o.TableListing)
        {
            drift.Add($"nftables table inet {net.TableName} was changed since it was applied");
        }

        if ((net.Dhcp || net.Dns || net.Subnet6 is not null) && o.DnsmasqPid is null)
        {
            drift.Add("dnsmasq is not running");
        }

        if (net.Dhcp && o.DnsmasqPid is not null)
        {
            drift.AddRange(UnservedReservations(net, paths, o));
        }

        if (o.IpForward != "1" && net.Mode != QemuNetworkMode.Isolated)
        {
            drift.Add($"{NatPlanner.IpForwardKey} is {o.IpForward}");
        }

        if (net.Subnet6 is not null && o.Ipv6Forward != "1" && net.Mode != QemuNetworkMode.Isolated)
        {
            drift.Add($"{NatPlanner.Ipv6ForwardKey} is {o.Ipv6Forward}");
        }

        return net with
        {
            DnsmasqPid = o.DnsmasqPid,
            Drift = drift,
            State = net.State == QemuNatState.Incomplete ? QemuNatState.Incomplete : drift.Count == 0 ? QemuNatState.Active : QemuNatState.Degraded,
        };
    }

    /// <summary>
    /// Reservations dnsmasq does not serve: after start-up it runs as "nobody" and re-reads the hosts files on
    /// SIGHUP, so a file that differs from the record, or that nobody cannot reach, is a reservation not in effect.
    /// </summary>
    private static IEnumerable<string> UnservedReservations(QemuNatNetwork net, NatPaths paths, NatObservation o)
    {
        if (net.Reservations.Count == 0)
        {
            yield break;
        }

        if (o.FileText(paths.HostsFile) != DnsmasqConfig.RenderHosts(net) || (net.Dns && o.FileText(paths.AddnHostsFile) != DnsmasqConfig.RenderAddnHosts(net)))
        {
            yield return $"the reservations file {paths.HostsFile} differs from the record, so dnsmasq serves other reservations than Get-QemuNat lists";
        }
        else if (BlockedForOthers(paths.HostsFile) is { } blocked)
        {
            yield return $"dnsmasq (running as nobody) cannot read {paths.HostsFile} because {blocked} is not readable by others, so reservations are not in effect";
        }
    }

    /// <summary>The first part of the path (a parent directory or the file) that others cannot search or read, or null.</summary>
    private static string? BlockedForOthers(string file)
    {
        if (NativeMethods.Stat(file) is not { OthersCanRead: true })
        {
            return file;
        }

        for (var dir = Path.GetDirectoryName(file); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (NativeMethods.Stat(dir) is not { OthersCanSearch: true })
            {
                return dir;
            }
        }

        return null;
    }

    /// <summary>The address dnsmasq leased to <paramref name="mac"/> on <paramref name="net"/>, or null.</summary>
    public string? LeasedAddress(QemuNatNetwork net, string mac) =>
        GetLeases(net).FirstOrDefault(l => l.IPAddress.Length > 0 && string.Equals(l.MacAddress, mac, StringComparison.OrdinalIgnoreCase))?.IPAddress;

    /// <summary>
    /// dnsmasq's leases: IPv4 lines ("expiry mac ip name clientid"), then after a "duid" line the DHCPv6 ones
    /// ("expiry iaid ip6 name duid"), joined to the IPv4 lease of the same MAC where the DUID carries one.
    /// </summary>
    public IReadOnlyList<QemuNatLease> GetLeases(QemuNatNetwork net)
    {
        var text = StateStore.ReadText(PathsFor(net.Name).Leases);
        if (text is null)
        {
            return [];
        }

        var leases = new List<QemuNatLease>();
        var ipv6 = false;
        foreach (var f in text.Split('\n').Select(line => line.Split(' ')))
        {
            if (f is ["duid", ..])
            {
                ipv6 = true;
                continue;
            }

            if (f.Length < 4)
            {
                continue;
            }

            var expires = long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t > 0 ? DateTimeOffset.FromUnixTimeSeconds(t) : (DateTimeOffset?)null;
            var name = f[3] == "*" ? null : f[3];
            if (!ipv6)
            {
                leases.Add(new QemuNatLease
                {
                    Network = net.Name, MacAddress = f[1], IPAddress = f[2], HostName = name, Expires = expires,
                    Reserved = net.Reservations.Any(r => r.MacAddress == f[1]),
                });
                continue;
            }

            var mac = f.Length > 4 ? MacFromDuid(f[4]) : null;
            var index = mac is null ? -1 : leases.FindIndex(l => string.Equals(l.MacAddress, mac, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                leases[index] = leases[index].With(f[2]);
            }
            else
            {
                leases.Add(new QemuNatLease
                {
                    Network = net.Name, MacAddress = mac ?? string.Empty, IPAddress = string.Empty, IPv6Address = f[2], HostName = name, Expires = expires,
                    Reserved = net.Reservations.Any(r => r.IPv6Address == f[2]),
                });
            }
        }

        return leases;
    }

    /// <summary>The leases, with the IPv6 addresses guests made themselves (SLAAC) as the host's neighbour table knows them.</summary>
    public async Task<IReadOnlyList<QemuNatLease>> GetLeasesAsync(QemuNatNetwork net, CancellationToken ct)
    {
        var leases = GetLeases(net);
        if (net.Prefix6 is not { } prefix || leases.Count == 0)
        {
            return leases;
        }

        var listing = await Host.RunAsync("ip", ["-json", "-6", "neigh", "show", "dev", net.BridgeName], ct, throwOnFailure: false).ConfigureAwait(false);
        if (!listing.Succeeded || listing.StandardOutput.Trim() is not { Length: > 0 } text)
        {
            return leases;
        }

        var neighbours = JsonDocument.Parse(text).RootElement.EnumerateArray()
            .Where(n => n.TryGetProperty("lladdr", out _) && Ipv6Prefix.TryParseAddress(n.GetProperty("dst").GetString() ?? string.Empty, out var a) && prefix.Contains(a))
            .Select(n => (Mac: n.GetProperty("lladdr").GetString(), Address: n.GetProperty("dst").GetString()!))
            .ToArray();
        return leases.Select(l => l.IPv6Address is null && neighbours.FirstOrDefault(n => string.Equals(n.Mac, l.MacAddress, StringComparison.OrdinalIgnoreCase)) is { Address: { } a }
            ? l.With(a) : l).ToArray();
    }

    /// <summary>The MAC in a DUID-LLT (type 1) or DUID-LL (type 3) of Ethernet (hardware type 1), or null.</summary>
    private static string? MacFromDuid(string duid)
    {
        var b = duid.Split(':');
        return b.Length switch
        {
            14 when b[0] == "00" && b[1] == "01" && b[2] == "00" && b[3] == "01" => string.Join(':', b[8..]),
            10 when b[0] == "00" && b[1] == "03" && b[2] == "00" && b[3] == "01" => string.Join(':', b[4..]),
            _ => null,
        };
    }

    /// <summary>Warnings about other firewall tables that drop forwarded traffic (Docker sets FORWARD policy DROP).</summary>
    public async Task<IReadOnlyList<string>> FindForwardDropsAsync(QemuNatNetwork net, CancellationToken ct)
    {
        var warnings = new List<string>();
        // The ruleset this command already read, if it did: other tables' chains are not ours to change meanwhile.
        var drops = ForwardDrops.Find(_ruleset ?? await NftSnapshot.TakeAsync(Host, ct).ConfigureAwait(false));
        // With br_netfilter, frames between two ports of one bridge pass the forward hook too.
        var bridged = drops.Count > 0 && (await Host.ReadFileAsync("/proc/sys/net/bridge/bridge-nf-call-iptables", ct).ConfigureAwait(false))?.Trim() == "1";
        foreach (var drop in drops)
        {
            warnings.Add($"The {drop.Family} table '{drop.Table}' chain '{drop.Chain}' drops forwarded traffic by default (policy drop), so guests on {net.BridgeName} "
                + "cannot get out, and port forwards to them get nothing through, even with QemuNet's accept rules"
                + (bridged ? "; br_netfilter is loaded (net.bridge.bridge-nf-call-iptables=1), so traffic between guests on the bridge is dropped too. " : ". ")
                + (ForwardDrops.FixNote(drop, net.BridgeName) is { } note ? note + " " : string.Empty)
                + "Fix, as root: " + ForwardDrops.Fix(drop, net.BridgeName, Host.ExecNamespace));
        }

        return warnings;
    }

    /// <summary>
    /// With IPv6 forwarding on, the kernel ignores router advertisements on interfaces with accept_ra=1: a host that
    /// takes its own IPv6 route from its LAN's router (routes "proto ra") loses it when they expire. Says which, and the fix.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindIgnoredRouterAdvertisementsAsync(CancellationToken ct)
    {
        var listing = await Host.RunAsync("ip", ["-json", "-6", "route", "show", "proto", "ra"], ct, throwOnFailure: false).ConfigureAwait(false);
        var devices = listing.Succeeded && listing.StandardOutput.Trim() is { Length: > 0 } text
            ? JsonDocument.Parse(text).RootElement.EnumerateArray().Select(r => r.TryGetProperty("dev", out var d) ? d.GetString() : null).OfType<string>()
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : [];
        var warnings = new List<string>();
        foreach (var dev in devices)
        {
            var acceptRa = (await Host.ReadFileAsync($"/proc/sys/net/ipv6/conf/{dev}/accept_ra", ct).ConfigureAwait(false))?.Trim();
            if (acceptRa == "1" && (await Host.ReadFileAsync($"/proc/sys/net/ipv6/conf/{dev}/forwarding", ct).ConfigureAwait(false))?.Trim() == "1")
            {
                warnings.Add($"IPv6 forwarding is on, so the kernel now ignores router advertisements on {dev} (accept_ra=1), where this host learnt "
                    + $"its IPv6 routes: they lapse when their lifetime ends. Fix, as root: sysctl -w net.ipv6.conf.{dev.Replace('.', '/')}.accept_ra=2");
            }
        }

        return warnings;
    }

    // ---- changing (through the engine's runner) ----

    /// <summary>Enable-QemuNat: the network up as wanted (idempotent). Null for -WhatIf or a declined step.</summary>
    public async Task<QemuNatNetwork?> EnableAsync(QemuNatNetwork wanted, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        var paths = PathsFor(wanted.Name);
        NatObservation? seen = null;
        var outcome = await RunAsync(wanted.Name, whatIf, async token =>
        {
            var ip = await IpSnapshot.TakeAsync(Host, token).ConfigureAwait(false);
            var net = await PrepareEnableAsync(wanted, ip, token).ConfigureAwait(false);
            if (!whatIf)
            {
                PrepareDefinitions(net);
            }

            seen = await ObserveAsync(net, token, ip).ConfigureAwait(false);
            return new HostPlan(Kind, net.Name, NatPlanner.PlanEnable(net, seen, paths), NatPlanner.Serialize(net));
        }, confirm, ct).ConfigureAwait(false);
        return outcome switch
        {
            _ when whatIf => null,
            // Nothing changed since the plan's look: that look is the network as it stands.
            PlanOutcome.NothingToDo when seen is not null => Refresh(Get(wanted.Name), seen),
            // Nothing read twice: the plan's look, and what its steps made sure of.
            PlanOutcome.Applied when seen is not null && StateStore.ReadText(paths.AppliedRuleset) is { } applied =>
                Refresh(Get(wanted.Name), await AfterApplyAsync(Get(wanted.Name), seen, applied, ct).ConfigureAwait(false)),
            PlanOutcome.Applied or PlanOutcome.NothingToDo => await RefreshAsync(Get(wanted.Name), ct).ConfigureAwait(false),
            _ => null,
        };
    }

    /// <summary>
    /// Restore-QemuNetwork: brings a definition up as Enable would (nothing to do when it already is), then puts its
    /// reservations, forwards and DNS records in step with the definition. Null for -WhatIf or a declined step.
    /// </summary>
    public async Task<QemuNatNetwork?> RestoreAsync(QemuNatNetwork definition, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        var up = await EnableAsync(definition with { AutoStart = true, NetworkNamespace = Host.NetworkNamespace }, confirm, whatIf, ct).ConfigureAwait(false);
        if (up is null || Lists(up) == Lists(definition))
        {
            return up;
        }

        var next = await UpdateAsync(definition.Name,
            n => n with { Reservations = definition.Reservations, PortForwards = definition.PortForwards, DnsRecords = definition.DnsRecords },
            confirm, whatIf, ct).ConfigureAwait(false);
        return next is null ? null : await RefreshAsync(Get(definition.Name), ct).ConfigureAwait(false);

        static string Lists(QemuNatNetwork n) => JsonSerializer.Serialize(new { n.Reservations, n.PortForwards, n.DnsRecords }, NatPlanner.Json);
    }

    /// <summary>Every NAT definition of the configuration directory: (namespace name or null, file).</summary>
    public static IReadOnlyList<(string? Namespace, string File)> ListDefinitions(DefinitionStore store) => store.List(Kind);

    /// <summary>A definition file, checked like a record (a torn or forged one is refused naming the file).</summary>
    public static QemuNatNetwork LoadDefinition(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return StateStore.Load<QemuNatNetwork>(file, NatPlanner.Json, r => CheckRecord(r, name))
            ?? throw new QemuNetException("StateRecordCorrupt", QemuNetErrorCategory.InvalidData, file, $"The definition '{file}' is empty.", $"Remove '{file}'.");
    }

    /// <summary>
    /// Disable-QemuNat: removes exactly what Enable made. A network only a journal knows (a killed Enable) is rolled
    /// back by the recovery and reported as such. Null when nothing was removed (-WhatIf, declined).
    /// </summary>
    public async Task<QemuNatNetwork?> DisableAsync(string name, bool force, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        var known = Find(name) ?? throw NotFound(name);
        var paths = PathsFor(name);
        QemuNatNetwork? removed = known;
        var outcome = await RunAsync(name, whatIf, async token =>
        {
            if (StateStore.Load<QemuNatNetwork>(paths.Record, NatPlanner.Json, r => CheckRecord(r, name)) is not { } net)
            {
                // Recovery already undid the interrupted Enable: nothing more to remove.
                return new HostPlan(Kind, name, []);
            }

            removed = net;
            if (net.AutoStart)
            {
                // Its definition is read and removed: the folder is checked first.
                _ = Definitions;
            }

            var ip = await IpSnapshot.TakeAsync(Host, token).ConfigureAwait(false);
            var ports = ip.Ports(net.BridgeName);
            if (ports.Count > 0 && !force)
            {
                throw new QemuNetException("NatInUse", QemuNetErrorCategory.ResourceExists, name,
                    $"Guests are still on the NAT network '{name}' (ports of {net.BridgeName}: {string.Join(", ", ports)}).",
                    "Stop those guests first (Get-QemuVm | Stop-QemuVm), or use -Force.");
            }

            // Only Disable needs the other networks (one of them may inherit the duty to turn forwarding off).
            var o = await ObserveAsync(net, token, ip).ConfigureAwait(false) with
            {
                Others = ListRecords().Networks.Where(n => n.Name != name && n.State != QemuNatState.Incomplete && n.Mode != QemuNetworkMode.Isolated).Select(n => (n, PathsFor(n.Name).Record)).ToArray(),
            };
            return new HostPlan(Kind, name, NatPlanner.PlanDisable(net, o, paths), NatPlanner.Serialize(net));
        }, confirm, ct).ConfigureAwait(false);
        return outcome is PlanOutcome.Applied or PlanOutcome.NothingToDo && !whatIf ? removed with { State = QemuNatState.Removed, DnsmasqPid = null, Drift = [] } : null;
    }

    /// <summary>
    /// Add-QemuPortForward: the forward is checked against what it could take from others before anything
    /// changes (other networks' forwards, running user-mode guests, local listeners; the guests' DNS/DHCP).
    /// <paramref name="force"/> lets it take a local listener's port or the guests' services, never another
    /// forward's. Null when nothing was applied.
    /// </summary>
    public async Task<QemuNatNetwork?> AddPortForwardAsync(string name, QemuForwardProtocol protocol, string? hostAddress, int hostPort, string guest, int guestPort,
        bool force, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        if (hostAddress is not null)
        {
            PortForwardRules.CheckHostAddress(hostAddress);
        }

        // The guest's address decides the forward's family (a reservation's MAC means its IPv4 address).
        var ipv6 = Ipv6Prefix.TryParseAddress(guest, out _);
        if (!force)
        {
            PortForwardRules.CheckGuestServices(name, protocol, hostAddress, hostPort);
        }

        if (!force)
        {
            PortForwardRules.CheckListeners(protocol, hostAddress, hostPort, await HostSockets.ListAsync(Host, ct).ConfigureAwait(false), Host.Where, ipv6);
        }

        return await UpdateAsync(name, net =>
        {
            // Under the namespace's lock: checked before it, two processes could each take the port for their own network.
            var guests = RunningGuestsHere()
                .SelectMany(v => v.Backends().OfType<QemuUserNet>().SelectMany(u => u.HostForward).Select(f => (v.Name, f)))
                .ToList();
            PortForwardRules.CheckTaken(name, protocol, hostAddress, hostPort, ListRecords().Networks, guests, ipv6);
            return NatChanges.AddPortForward(net, protocol, hostAddress, hostPort, guest, guestPort);
        }, confirm, whatIf, ct).ConfigureAwait(false);
    }

    /// <summary>The QemuNet guests that run in this namespace.</summary>
    private IEnumerable<Vm.QemuVm> RunningGuestsHere() =>
        new Vm.QemuVmManager(Host.Runner, _store.Root).List()
            .Where(v => v.State == Vm.QemuVmState.Running && (v.NetworkNamespace == Host.NetworkNamespace || (v.NetworkNamespace is null && Host.ExecNamespace is null)));

    /// <summary>Changes reservations or forwards of an existing network. Null when nothing was applied.</summary>
    public async Task<QemuNatNetwork?> UpdateAsync(string name, Func<QemuNatNetwork, QemuNatNetwork> change, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        QemuNatNetwork? next = null;
        var paths = PathsFor(name);
        var outcome = await RunAsync(name, whatIf, token =>
        {
            var current = StateStore.Load<QemuNatNetwork>(paths.Record, NatPlanner.Json, r => CheckRecord(r, name)) ?? throw NotFound(name);
            next = change(current);
            if (!whatIf)
            {
                PrepareDefinitions(next);
            }

            if (current.AutoStart)
            {
                _ = Definitions;
            }

            var definition = paths.Definition is not null && (current.AutoStart || next.AutoStart) ? StateStore.ReadText(paths.Definition) : null;
            return Task.FromResult(new HostPlan(Kind, name, NatPlanner.PlanUpdate(current, next, paths, definition, StateStore.ReadText(paths.AppliedRuleset)), NatPlanner.Serialize(next)));
        }, confirm, ct).ConfigureAwait(false);
        return outcome is PlanOutcome.Applied or PlanOutcome.NothingToDo && !whatIf ? next : null;
    }

    private async Task<PlanOutcome> RunAsync(string name, bool whatIf, Func<CancellationToken, Task<HostPlan>> plan, Func<HostStep, bool> confirm, CancellationToken ct)
    {
        if (!whatIf)
        {
            _store.Folder(Kind, Host.Id);
            StateStore.EnsureOwnDirectory(ReadableRoot(_store), isRoot: false, ReadableMode);
            StateStore.EnsureOwnDirectory(ReadableDirectory, isRoot: false, ReadableMode);
        }

        return await Runner.RunAsync(name, plan, confirm, whatIf, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The network to enable: the recorded one when it exists with the same settings (keeping its reservations,
    /// forwards and forwarding duty), else the new one after checking it against the host.
    /// </summary>
    private async Task<QemuNatNetwork> PrepareEnableAsync(QemuNatNetwork wanted, IpSnapshot ip, CancellationToken ct)
    {
        var paths = PathsFor(wanted.Name);
        if (StateStore.Load<QemuNatNetwork>(paths.Record, NatPlanner.Json, r => CheckRecord(r, wanted.Name)) is { } existing)
        {
            // Compared as JSON: records compare lists by reference.
            var settings = existing with
            {
                Reservations = [], PortForwards = [], DnsRecords = [], AutoStart = wanted.AutoStart, RestoreIpForward = false, InterfacesForwardingBefore = [],
                RestoreIpv6Forward = false, InterfacesIpv6ForwardingBefore = [], UplinkBridge = null, NetworkNamespace = null,
            };
            if (NatPlanner.Serialize(settings) != NatPlanner.Serialize(wanted with { NetworkNamespace = null, Reservations = [], PortForwards = [], DnsRecords = [] }))
            {
                throw new QemuNetException("NatSettingsConflict", QemuNetErrorCategory.ResourceExists, wanted.Name,
                    $"The NAT network '{wanted.Name}' exists with other settings ({existing.Subnet} on {existing.BridgeName}).",
                    "Disable-QemuNat it first, or enable it with the same settings.");
            }

            // -AutoStart turns autostart on; only Set-QemuNat -AutoStart $false turns it off.
            return existing with { AutoStart = existing.AutoStart || wanted.AutoStart };
        }

        await CheckNewAsync(wanted, ip, ct).ConfigureAwait(false);
        return wanted with { NetworkNamespace = Host.NetworkNamespace };
    }

    /// <summary>Checks a new network against the host and the module's other networks; throws before anything changes.</summary>
    private async Task CheckNewAsync(QemuNatNetwork net, IpSnapshot ip, CancellationToken ct)
    {
        foreach (var other in ListRecords().Networks.Where(o => o.Name != net.Name))
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

            if (net.Subnet6 is not null && other.Subnet6 == net.Subnet6)
            {
                throw new QemuNetException("NatSubnet6Overlap", QemuNetErrorCategory.ResourceExists, net.Subnet6,
                    $"The IPv6 prefix {net.Subnet6} is already the prefix of the NAT network '{other.Name}'.",
                    "Give -Subnet6 another /64, or use -Ipv6 to have one derived from the network's name.");
            }

            if (other.Network.Overlaps(net.Network))
            {
                throw new QemuNetException("NatSubnetOverlap", QemuNetErrorCategory.ResourceExists, net.Subnet,
                    $"The subnet {net.Subnet} overlaps {other.Subnet} of the NAT network '{other.Name}'.",
                    "Give -Subnet a network no other NAT network uses, e.g. 192.168.123.0/24; Get-QemuNat lists their subnets.");
            }
        }

        if (ip.Link(net.BridgeName) is { } link && link.Alias != NatPlanner.BridgeAlias(net))
        {
            throw new QemuNetException("NatBridgeNameInUse", QemuNetErrorCategory.ResourceExists, net.BridgeName,
                $"A link named {net.BridgeName} already exists and is not a QemuNet network's bridge.",
                "Choose another -BridgeName.");
        }

        if (net.Prefix6 is { } prefix6)
        {
            await CheckIpv6RoutesAsync(net, prefix6, ct).ConfigureAwait(false);
        }

        foreach (var route in ip.Routes.Where(r => r.Destination != "default" && r.Device != net.BridgeName))
        {
            var dst = route.Destination;
            if (Ipv4Network.TryParse(dst.Contains('/', StringComparison.Ordinal) ? dst : dst + "/32", out var routed) && routed.Overlaps(net.Network))
            {
                throw new QemuNetException("NatSubnetOverlap", QemuNetErrorCategory.ResourceExists, net.Subnet,
                    $"The subnet {net.Subnet} overlaps the route {dst} on {route.Device ?? "?"}; guests there could not reach that network.",
                    "Choose a -Subnet that no route of this host covers.");
            }
        }
    }

    /// <summary>An IPv6 prefix must not be routed elsewhere already (a LAN's prefix, a VPN's): guests could not reach it.</summary>
    private async Task CheckIpv6RoutesAsync(QemuNatNetwork net, Ipv6Prefix prefix, CancellationToken ct)
    {
        var routes = await Host.RunAsync("ip", ["-json", "-6", "route", "show", "table", "main"], ct).ConfigureAwait(false);
        foreach (var route in JsonDocument.Parse(routes.StandardOutput is { Length: > 0 } o ? o : "[]").RootElement.EnumerateArray())
        {
            var dst = route.GetProperty("dst").GetString();
            if (dst is null or "default" || route.TryGetProperty("dev", out var routeDev) && routeDev.GetString() == net.BridgeName)
            {
                continue;
            }

            var slash = dst.IndexOf('/', StringComparison.Ordinal);
            var length = slash < 0 ? 128 : int.Parse(dst[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            if (Ipv6Prefix.TryParseAddress(slash < 0 ? dst : dst[..slash], out var address) && prefix.Overlaps(address, length))
            {
                var dev = route.TryGetProperty("dev", out var d) ? d.GetString() : "?";
                throw new QemuNetException("NatSubnet6Overlap", QemuNetErrorCategory.ResourceExists, net.Subnet6,
                    $"The IPv6 prefix {net.Subnet6} overlaps the route {dst} on {dev}; guests there could not reach that network.",
                    "Choose a -Subnet6 that no route of this host covers.");
            }
        }
    }

    private static QemuNatNetwork CheckRecord(QemuNatNetwork record, string fileName)
    {
        var net = NatChanges.Validate(record);
        if (net.Name != fileName)
        {
            throw new QemuNetException("NatNameInvalid", QemuNetErrorCategory.InvalidData, record.Name,
                $"the record is named '{record.Name}' but its file is for '{fileName}'", "Remove the record.");
        }

        return net;
    }

    private static QemuNatNetwork ParseSubject(string text, string journalPath, string name)
    {
        try
        {
            return CheckRecord(JsonSerializer.Deserialize<QemuNatNetwork>(text, NatPlanner.Json) ?? throw new JsonException("empty"), name);
        }
        catch (Exception ex) when (ex is JsonException or QemuNetException)
        {
            throw new QemuNetException("StateJournalCorrupt", QemuNetErrorCategory.InvalidData, journalPath,
                $"The journal '{journalPath}' does not describe a valid network ({ex.Message}).",
                $"Read '{journalPath}', undo by hand what it lists, remove it, and run the command again.", ex);
        }
    }
}
