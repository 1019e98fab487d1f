using QemuNet.Core.Engine;
using System.Globalization;
using System.Text.Json;
using QemuNet.Core.Model;

namespace QemuNet.Core.Bridge;

/// <summary>
/// Plans and applies bridges: create (optionally enslaving an uplink and moving its addresses and routes to
/// the bridge in one step, as `dhclient br0` did in the seed), list, and remove (moving them back).
/// </summary>
public sealed class BridgeManager
{
    public const string Kind = "bridge";

    /// <summary>The alias New-QemuBridge gives its bridges: what makes them recognisably the module's.</summary>
    public const string Alias = "qemunet:bridge";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly StateStore? _store;

    public BridgeManager(HostContext host, StateStore store)
        : this(host, store.PeekFolder(Kind, host.Id)) => _store = store;

    /// <summary>For golden plans: books at a fixed folder, nothing created.</summary>
    public BridgeManager(HostContext host, string folder)
    {
        Host = host;
        Directory = folder;
        Runner = new PlanRunner(host, folder);
    }

    public HostContext Host { get; }

    /// <summary>Where the bridge's autostart definition lives, or null in a namespace without a name.</summary>
    public string? DefinitionFile(string name) => DefinitionStore.PathFor(Host.Id, Kind, name);

    /// <summary>What a bridge's definition keeps: its settings.</summary>
    public static string Definition(QemuBridge bridge) => JsonSerializer.Serialize(bridge with { NetworkNamespace = null, AutoStart = true }, Json);

    /// <summary>A definition file, checked like a record (torn or forged: refused naming the file).</summary>
    public static QemuBridge LoadDefinition(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return StateStore.Load<QemuBridge>(file, Json, record => Validate(record, name))
            ?? throw new QemuNetException("StateRecordCorrupt", QemuNetErrorCategory.InvalidData, file, $"The definition '{file}' is empty.", $"Remove '{file}'.");
    }

    /// <summary>This namespace's bridge books.</summary>
    public string Directory { get; }

    public PlanRunner Runner { get; }

    /// <summary>The alias of a NAT network's bridge (see NatPlanner.BridgeAlias).</summary>
    private const string NatBridgeAliasPrefix = "qemunet:nat:";

    public string RecordFile(string name) => Path.Combine(Directory, name + ".json");

    /// <summary>The record of a bridge New-QemuBridge made, checked like user input; StateRecordCorrupt/Invalid name the file.</summary>
    public QemuBridge? FindRecord(string name) => StateStore.Load<QemuBridge>(RecordFile(name), Json, record => Validate(record, name));

    private static QemuBridge Validate(QemuBridge record, string name)
    {
        InterfaceName.Check(record.Name, "BridgeNameInvalid");
        if (record.Uplink is not null)
        {
            InterfaceName.Check(record.Uplink, "BridgeUplinkInvalid");
        }

        if (record.Name != name || record.ForwardDelay is < 0 or > 30)
        {
            throw new QemuNetException("BridgeNameInvalid", QemuNetErrorCategory.InvalidData, record.Name,
                $"the record names bridge '{record.Name}' (forward delay {record.ForwardDelay}) in the file for '{name}'", "Remove the record.");
        }

        return record;
    }

    /// <summary>New-QemuBridge: lock, recover, observe, check, plan, confirm, apply. The observation is returned for warnings.</summary>
    public async Task<(PlanOutcome Outcome, BridgeObservation? Observed)> CreateAsync(QemuBridge wanted, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        InterfaceName.Check(wanted.Name, "BridgeNameInvalid");
        BridgeObservation? observed = null;
        EnsureBooks(whatIf);
        try
        {
            var outcome = await Runner.RunAsync(wanted.Name, async token =>
            {
                if (wanted.AutoStart && !whatIf)
                {
                    DefinitionStore.Open().Prepare(DefinitionStore.NamespaceName(Host.Id, wanted.Name), Kind);
                }

                observed = await ObserveAsync(wanted.Name, wanted.Uplink, token).ConfigureAwait(false);
                return new HostPlan(Kind, wanted.Name, Check(wanted, observed) ? PlanAutoStart(wanted, observed) : PlanCreate(wanted, observed));
            }, confirm, whatIf, ct).ConfigureAwait(false);
            return (outcome, observed);
        }
        catch (QemuNetException ex) when (ex.ErrorId == "HostStepFailed" && observed is not null)
        {
            throw await CheckedRollbackAsync(ex, observed, wanted.Name, wanted.Uplink).ConfigureAwait(false);
        }
    }

    /// <summary>Remove-QemuBridge: refuses bridges it did not make (BridgeNotManaged) and, without force, bridges with other ports (BridgeInUse).</summary>
    public async Task<PlanOutcome> RemoveAsync(string name, bool force, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        EnsureBooks(whatIf);
        var interrupted = Runner.JournalFor(name).Exists;
        BridgeObservation? before = null;
        string? uplinkName = null;
        try
        {
            return await Runner.RunAsync(name, async token =>
            {
                if (FindRecord(name) is not { } record)
                {
                    if (interrupted && !whatIf)
                    {
                        // The recovery undid what a killed New-QemuBridge had made: nothing more to remove.
                        return new HostPlan(Kind, name, []);
                    }

                    // A NAT network's bridge goes with its network: 'ip link del' would break the network.
                    if (await HostLinks.GetAsync(Host, name, token).ConfigureAwait(false) is { Alias: { } alias } && alias.StartsWith(NatBridgeAliasPrefix, StringComparison.Ordinal))
                    {
                        var network = alias[NatBridgeAliasPrefix.Length..];
                        throw new QemuNetException("BridgeOfNatNetwork", QemuNetErrorCategory.InvalidOperation, name,
                            $"The bridge {name}{Host.Where} belongs to the QemuNet NAT network '{network}'; New-QemuBridge did not create it.",
                            $"Remove the network with it: Disable-QemuNat -Name {network}{(Host.NetworkNamespace is null ? string.Empty : " -NetworkNamespace " + Host.NetworkNamespace)}.");
                    }

                    throw new QemuNetException("BridgeNotManaged", QemuNetErrorCategory.ObjectNotFound, name,
                        $"QemuNet did not create a bridge named '{name}'{Host.Where}.",
                        $"List bridges with Get-QemuBridge; delete other bridges with 'ip link del {name}'.");
                }

                var observed = await ObserveAsync(name, record.Uplink, token).ConfigureAwait(false);
                var others = observed.Ports.Where(p => p != record.Uplink).ToArray();
                if (others.Length > 0 && !force)
                {
                    throw new QemuNetException("BridgeInUse", QemuNetErrorCategory.ResourceExists, name,
                        $"The bridge {name} still has ports besides its uplink: {string.Join(", ", others)}.",
                        "Stop the guests using it (Get-QemuBridge shows whose TAPs they are), or use -Force.");
                }

                before = observed;
                uplinkName = record.Uplink;
                return new HostPlan(Kind, name, PlanRemove(record, observed));
            }, confirm, whatIf, ct).ConfigureAwait(false);
        }
        catch (QemuNetException ex) when (ex.ErrorId == "HostStepFailed" && before is not null)
        {
            throw await CheckedRollbackAsync(ex, before, name, uplinkName).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a rollback: looks at the bridge and uplink again and says whether they are as they were before the
    /// plan (lifetimes compared as finite or forever), or what differs, rather than claiming it.
    /// </summary>
    private async Task<QemuNetException> CheckedRollbackAsync(QemuNetException failure, BridgeObservation before, string name, string? uplink)
    {
        var after = await ObserveAsync(name, uplink, CancellationToken.None).ConfigureAwait(false);
        var differs = new List<string>();
        if ((before.Bridge is null) != (after.Bridge is null))
        {
            differs.Add(after.Bridge is null ? $"bridge {name} is gone" : $"bridge {name} is still there");
        }

        if (before.Uplink?.Master != after.Uplink?.Master)
        {
            differs.Add($"{uplink} is {(after.Uplink?.Master is { } m ? "a port of " + m : "no bridge's port")}");
        }

        foreach (var (what, was, now) in new[] { ($"on {uplink}", before.UplinkCarry, after.UplinkCarry), ($"on {name}", before.BridgeCarry, after.BridgeCarry) })
        {
            differs.AddRange(Differences(what, was, now));
        }

        var verdict = differs.Count == 0
            ? " Checked afterwards: the bridge and the uplink are as they were before."
            : $" But the host is not as it was before: {string.Join("; ", differs)}.";
        return new QemuNetException(failure.ErrorId, failure.Category, failure.Target, failure.Message + verdict, failure.RecommendedAction, failure.InnerException);
    }

    private static IEnumerable<string> Differences(string where, LinkCarry was, LinkCarry now)
    {
        static string Key(LinkAddress a) => JsonSerializer.Serialize(a with { ValidLifetime = a.ValidLifetime is null ? null : 1, PreferredLifetime = a.PreferredLifetime is null ? null : 1 });
        foreach (var (kind, a, b) in new (string, IEnumerable<string>, IEnumerable<string>)[]
        {
            ("addresses", was.Addresses.Select(Key), now.Addresses.Select(Key)),
            ("routes", was.Routes.Select(r => JsonSerializer.Serialize(r)), now.Routes.Select(r => JsonSerializer.Serialize(r))),
            ("rules", was.Rules.Select(r => JsonSerializer.Serialize(r)), now.Rules.Select(r => JsonSerializer.Serialize(r))),
            ("neighbours", was.Neighbours.Select(n => JsonSerializer.Serialize(n)), now.Neighbours.Select(n => JsonSerializer.Serialize(n))),
        })
        {
            var missing = a.Except(b).Count();
            var extra = b.Except(a).Count();
            if (missing + extra > 0)
            {
                yield return $"{kind} {where}: {missing} missing, {extra} new";
            }
        }
    }

    private void EnsureBooks(bool whatIf)
    {
        if (!whatIf)
        {
            _store?.Folder(Kind, Host.Id);
        }
    }

    public async Task<BridgeObservation> ObserveAsync(string name, string? uplink, CancellationToken ct)
    {
        var bridge = await HostLinks.GetAsync(Host, name, ct).ConfigureAwait(false);
        var up = uplink is null ? null : await HostLinks.GetAsync(Host, uplink, ct).ConfigureAwait(false);
        var ports = bridge is { Kind: "bridge" } ? await HostLinks.GetPortsAsync(Host, name, ct).ConfigureAwait(false) : [];
        return new BridgeObservation(bridge, up,
            up is null ? LinkCarry.None : await LinkCarry.ReadAsync(Host, up.Name, ct).ConfigureAwait(false),
            bridge is null ? LinkCarry.None : await LinkCarry.ReadAsync(Host, name, ct).ConfigureAwait(false),
            ports)
        {
            RecordText = StateStore.ReadText(RecordFile(name)),
            DefinitionText = DefinitionFile(name) is { } definition && File.Exists(definition) ? ReadDefinition(definition) : null,
        };
    }

    /// <summary>Checks the wanted bridge before anything changes; true when it already exists as asked (nothing to do).</summary>
    public bool Check(QemuBridge wanted, BridgeObservation o)
    {
        InterfaceName.Check(wanted.Name, "BridgeNameInvalid");
        if (wanted.ForwardDelay is { } delay && (delay is < 0 or > 30 || (wanted.Stp && delay < 2)))
        {
            throw new QemuNetException("BridgeForwardDelayInvalid", QemuNetErrorCategory.InvalidArgument, delay,
                $"-ForwardDelay {delay} is out of range: 0 to 30 seconds, and at least 2 with STP (the kernel's limits).",
                "Give -ForwardDelay a number of seconds from 0 to 30 (at least 2 with -Stp).");
        }

        if (o.Bridge is { } existing)
        {
            if (existing.Kind != "bridge")
            {
                throw new QemuNetException("BridgeNameInUse", QemuNetErrorCategory.ResourceExists, wanted.Name,
                    $"A link named {wanted.Name} already exists and is not a bridge (it is {existing.Kind ?? "a plain link"}).",
                    "Choose another -Name.");
            }

            if (o.RecordText is null || JsonSerializer.Deserialize<QemuBridge>(o.RecordText, Json) is not { } record)
            {
                throw new QemuNetException("BridgeExists", QemuNetErrorCategory.ResourceExists, wanted.Name,
                    $"The bridge {wanted.Name} already exists and was not made by QemuNet.",
                    $"Use it as it is (New-QemuTap -Bridge {wanted.Name}), or choose another -Name.");
            }

            if (record.Uplink != wanted.Uplink || record.Stp != wanted.Stp || record.ForwardDelay != wanted.ForwardDelay)
            {
                throw new QemuNetException("BridgeSettingsConflict", QemuNetErrorCategory.ResourceExists, wanted.Name,
                    $"The bridge {wanted.Name} exists with other settings (uplink {record.Uplink ?? "none"}, STP {(record.Stp ? "on" : "off")}).",
                    "Remove-QemuBridge it first, or ask for the same settings.");
            }

            return true;
        }

        if (wanted.Uplink is { } uplink)
        {
            InterfaceName.Check(uplink, "BridgeUplinkInvalid");
            if (uplink == wanted.Name)
            {
                throw new QemuNetException("BridgeUplinkInvalid", QemuNetErrorCategory.InvalidArgument, uplink, "A bridge cannot be its own uplink.",
                    "Give -Uplink a host link other than the bridge itself, e.g. eth0.");
            }

            if (o.Uplink is not { } link)
            {
                throw new QemuNetException("BridgeUplinkNotFound", QemuNetErrorCategory.ObjectNotFound, uplink,
                    $"There is no link named {uplink}" + (Host.NetworkNamespace is null ? "." : $" in namespace {Host.NetworkNamespace}."),
                    "Run 'ip link' to see the links; -Uplink completes with Tab.");
            }

            if (link.Loopback || link.Kind is "bridge" or "tun")
            {
                throw new QemuNetException("BridgeUplinkInvalid", QemuNetErrorCategory.InvalidArgument, uplink,
                    $"{uplink} is {(link.Loopback ? "the loopback link" : "a " + link.Kind)}; an uplink is an Ethernet-like link (a NIC, veth, bond or VLAN).",
                    "Give -Uplink an Ethernet-like link such as eth0; run 'ip link' to see the links.");
            }

            if (link.Master is { } master)
            {
                throw new QemuNetException("BridgeUplinkInUse", QemuNetErrorCategory.ResourceExists, uplink,
                    $"{uplink} is already a port of {master}.", $"Release it first ('ip link set dev {uplink} nomaster') or use {master}.");
            }

            CheckMovable(o.UplinkCarry, uplink, wanted.Name);
        }

        return false;
    }

    /// <summary>
    /// Refuses, before anything changes, what a move cannot keep as it is: a multipath route with a nexthop on the
    /// link, a rule or route QemuNet cannot rewrite, a label too long for the other link's name.
    /// </summary>
    private static void CheckMovable(LinkCarry carry, string from, string to)
    {
        var problems = carry.Unmovable.Concat(carry.MovedAddresses.Where(a => a.LabelSuffix is { } s && System.Text.Encoding.UTF8.GetByteCount(to + s) > InterfaceName.MaxBytes)
            .Select(a => $"address {a.Cidr} with label {from}{a.LabelSuffix} ({to}{a.LabelSuffix} would be longer than {InterfaceName.MaxBytes} bytes)")).ToArray();
        if (problems.Length > 0)
        {
            throw new QemuNetException("BridgeUplinkUnmovable", QemuNetErrorCategory.InvalidOperation, from,
                $"What {from} carries cannot be moved to {to} as it is: {string.Join("; ", problems)}.",
                "Move or remove those by hand first (ip route, ip rule, ip addr), then run New-QemuBridge again; nothing was changed.");
        }
    }

    /// <summary>The folder is checked before a definition is read (someone else's could be planted there).</summary>
    private static string? ReadDefinition(string file)
    {
        _ = DefinitionStore.Open();
        return StateStore.ReadText(file);
    }

    /// <summary>For a bridge that exists as asked: -AutoStart writes its definition (and the record says so); nothing else changes.</summary>
    private IReadOnlyList<HostStep> PlanAutoStart(QemuBridge wanted, BridgeObservation o)
    {
        if (!wanted.AutoStart || o.RecordText is not { } recordText || JsonSerializer.Deserialize<QemuBridge>(recordText, Json) is not { } record)
        {
            return [];
        }

        var steps = new List<HostStep>();
        if (DefinitionStep(record with { AutoStart = true }, o) is { } definition)
        {
            steps.Add(definition);
        }

        var updated = JsonSerializer.Serialize(record with { NetworkNamespace = null, AutoStart = true }, Json);
        if (updated != recordText)
        {
            steps.Add(new HostStep(RecordFile(wanted.Name), "Save bridge record", new HostChange(new WriteFile(RecordFile(wanted.Name), updated), new WriteFile(RecordFile(wanted.Name), recordText))));
        }

        return steps;
    }

    private HostStep? DefinitionStep(QemuBridge bridge, BridgeObservation o)
    {
        var path = DefinitionFile(bridge.Name) ?? throw DefinitionStore.UnnamedNamespace(bridge.Name);
        var text = Definition(bridge);
        return text == o.DefinitionText ? null
            : new HostStep(path, "Save the definition (autostart)", new HostChange(new WriteFile(path, text), o.DefinitionText is null ? new DeleteFile(path) : new WriteFile(path, o.DefinitionText)));
    }

    public IReadOnlyList<HostStep> PlanCreate(QemuBridge wanted, BridgeObservation o)
    {
        var name = wanted.Name;
        var create = new List<string> { "link", "add", "name", name };
        if (o.Uplink?.MacAddress is { } mac)
        {
            // The uplink's MAC keeps the host's DHCP lease and neighbours' ARP entries valid, and pins it
            // (a bridge otherwise takes the lowest port MAC, which changes as guest TAPs come and go).
            create.AddRange(["address", mac]);
        }

        create.AddRange(["type", "bridge", "stp_state", wanted.Stp ? "1" : "0"]);
        if (wanted.ForwardDelay is { } delay)
        {
            create.AddRange(["forward_delay", (delay * 100).ToString(CultureInfo.InvariantCulture)]);
        }

        var steps = new List<HostStep>
        {
            new(name, $"Create bridge (STP {(wanted.Stp ? "on" : "off")})", new HostChange(Ip(create), new DeleteOwnedLink(name, Alias)),
                new HostChange(Ip("link", "set", "dev", name, "alias", Alias))),
            new(name, "Set link up", new HostChange(Ip("link", "set", "dev", name, "up"), Ip(true, "link", "set", "dev", name, "down"))),
        };

        if (wanted.Uplink is { } uplink)
        {
            steps.Add(new HostStep(uplink, $"Make {uplink} a port of {name} and move its addresses ({Describe(o.UplinkCarry.MovedAddresses)}), routes, rules and neighbours to {name}",
                Move(uplink, name, o.UplinkCarry, enslave: true)));
        }

        steps.Add(new HostStep(RecordFile(name), "Save bridge record",
            new HostChange(new WriteFile(RecordFile(name), JsonSerializer.Serialize(wanted with { NetworkNamespace = null }, Json)), new DeleteFile(RecordFile(name)))));
        if (wanted.AutoStart && DefinitionStep(wanted, o) is { } definition)
        {
            steps.Add(definition);
        }

        return steps;
    }

    public IReadOnlyList<HostStep> PlanRemove(QemuBridge record, BridgeObservation o)
    {
        var name = record.Name;
        var steps = new List<HostStep>();
        if (record.Uplink is { } uplink && o.Ports.Contains(uplink))
        {
            CheckMovable(o.BridgeCarry, name, uplink);
            steps.Add(new HostStep(uplink, $"Release {uplink} from {name} and move the addresses ({Describe(o.BridgeCarry.MovedAddresses)}), routes, rules and neighbours back to it",
                Move(name, uplink, o.BridgeCarry, enslave: false)));
        }

        if (o.Bridge is not null)
        {
            var recreate = new List<string> { "link", "add", "name", name };
            if (o.Bridge.MacAddress is { } mac)
            {
                recreate.AddRange(["address", mac]);
            }

            recreate.AddRange(["type", "bridge", "stp_state", record.Stp ? "1" : "0"]);
            steps.Add(new HostStep(name, "Delete bridge", new HostChange(new DeleteOwnedLink(name, Alias),
                Ip(true, recreate), Ip(true, "link", "set", "dev", name, "alias", Alias), Ip(true, "link", "set", "dev", name, "up"))));
        }

        if (o.DefinitionText is { } definitionText && DefinitionFile(name) is { } definitionFile)
        {
            // Remove-QemuBridge undefines: the bridge does not come back at the next boot.
            steps.Add(new HostStep(definitionFile, "Remove the definition (autostart)",
                new HostChange(new DeleteFile(definitionFile), new WriteFile(definitionFile, definitionText))));
        }

        if (o.RecordText is { } recordText)
        {
            steps.Add(new HostStep(RecordFile(name), "Remove bridge record",
                new HostChange(new DeleteFile(RecordFile(name)), new WriteFile(RecordFile(name), recordText))));
        }

        return steps;
    }

    /// <summary>The bridges of this namespace with their ports; guest TAPs are named after their VM.</summary>
    /// <remarks>
    /// Reads only: a bridge a killed New-/Remove-QemuBridge left (its journal is still there) is listed with what
    /// that command did in <see cref="QemuBridge.Interrupted"/>; a record that cannot be trusted is added to
    /// <paramref name="problems"/> and its bridge listed as not managed.
    /// </remarks>
    public async Task<IReadOnlyList<QemuBridge>> ListAsync(IReadOnlyDictionary<string, string> tapOwners, List<QemuNetException> problems, CancellationToken ct)
    {
        var links = await HostLinks.ListAsync(Host, [], ct).ConfigureAwait(false);
        var bridges = new List<QemuBridge>();
        foreach (var link in links.Where(l => l.Kind == "bridge").OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            QemuBridge? record = null;
            string? interrupted = null;
            try
            {
                record = FindRecord(link.Name);
                var journal = Runner.JournalFor(link.Name);
                if (journal.Exists && journal.Read() is var entries && !Journal.IsFinished(entries))
                {
                    interrupted = $"{Journal.DescribeInterruption(entries)} The next New-QemuBridge or Remove-QemuBridge -Name {link.Name} undoes them.";
                }
            }
            catch (QemuNetException ex)
            {
                problems.Add(ex);
            }

            var stp = await ReadBridgeAttributeAsync(link.Name, "stp_state", ct).ConfigureAwait(false);
            var delay = await ReadBridgeAttributeAsync(link.Name, "forward_delay", ct).ConfigureAwait(false);
            bridges.Add(new QemuBridge
            {
                Name = link.Name,
                NetworkNamespace = Host.NetworkNamespace,
                Uplink = record?.Uplink,
                AutoStart = record?.AutoStart ?? false,
                Stp = stp is not (null or 0),
                ForwardDelay = delay / 100,
                Managed = record is not null || interrupted is not null,
                Interrupted = interrupted,
                Up = link.Up,
                MacAddress = link.MacAddress,
                Addresses = (await HostLinks.GetAddressesAsync(Host, link.Name, ct).ConfigureAwait(false)).Select(a => a.Cidr).ToArray(),
                Ports = links.Where(p => p.Master == link.Name).Select(p => new QemuBridgePort
                {
                    Name = p.Name,
                    Kind = p.Name == record?.Uplink ? QemuBridgePortKind.Uplink : tapOwners.ContainsKey(p.Name) ? QemuBridgePortKind.GuestTap : QemuBridgePortKind.Other,
                    Vm = tapOwners.GetValueOrDefault(p.Name),
                }).ToArray(),
            });
        }

        return bridges;
    }

    /// <summary>
    /// Moves what a link carries to another in one step, in an order that works whatever promote_secondaries says:
    /// the port first; addresses added on the target in the kernel's order (a subnet's primary before its
    /// secondaries), with permanent neighbours and the rules that name the link; then the source's routes taken off
    /// (the kernel would drop those whose source address goes) and its addresses deleted newest first (secondaries
    /// before their primary, which with promote_secondaries=0 would take them along); last the routes added on
    /// the target. Permanent neighbours leave the source before its addresses (the kernel drops them with the last
    /// one). Each change's undo restores exactly what it took; undone newest-first, the source gets its addresses
    /// back (primary first) before its neighbours and routes.
    /// </summary>
    private static IReadOnlyList<HostChange> Move(string from, string to, LinkCarry carry, bool enslave)
    {
        var (uplink, bridge) = enslave ? (from, to) : (to, from);
        var join = Ip("link", "set", "dev", uplink, "master", bridge);
        var leave = Ip("link", "set", "dev", uplink, "nomaster");
        var addresses = carry.MovedAddresses;
        List<HostChange> changes = [new(enslave ? join : leave, (enslave ? leave : join) with { IgnoreFailure = true })];
        changes.AddRange(addresses.Select(a => new HostChange(Ip(a.AddArguments(to)), Ip(true, a.DeleteArguments(to)))));
        changes.AddRange(carry.Neighbours.Select(n => new HostChange(Ip(n.AddArguments(to)), Ip(true, n.DeleteArguments(to)))));
        changes.AddRange(carry.Rules.Select(r => new HostChange(Ip(r.Arguments("add", from, to)), Ip(true, r.Arguments("del", from, to)))));
        changes.AddRange(carry.Routes.Select(r => new HostChange(Ip(true, r.Arguments("del", from)), Ip(true, r.Arguments("add", from)))));
        changes.AddRange(carry.Rules.Select(r => new HostChange(Ip(r.Arguments("del", from, from)), Ip(true, r.Arguments("add", from, from)))));
        // Before the addresses: a link that loses its last address loses its neighbours with it, and then their
        // undo would never have been journaled.
        changes.AddRange(carry.Neighbours.Select(n => new HostChange(Ip(n.DeleteArguments(from)), Ip(true, n.AddArguments(from)))));
        changes.AddRange(addresses.Reverse().Select(a => new HostChange(Ip(a.DeleteArguments(from)), Ip(true, a.AddArguments(from)))));
        changes.AddRange(carry.Routes.Select(r => new HostChange(Ip(r.Arguments("add", to)), Ip(true, r.Arguments("del", to)))));
        return changes;
    }

    private async Task<int?> ReadBridgeAttributeAsync(string bridge, string attribute, CancellationToken ct) =>
        await Host.ReadFileAsync($"/sys/class/net/{bridge}/bridge/{attribute}", ct).ConfigureAwait(false) is { } text
        && int.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static string Describe(IReadOnlyList<LinkAddress> addresses) => addresses.Count == 0 ? "none" : string.Join(", ", addresses.Select(a => a.Cidr));

    private static RunProgram Ip(params string[] args) => new("ip", args);

    private static RunProgram Ip(IReadOnlyList<string> args) => new("ip", args);

    private static RunProgram Ip(bool ignore, params string[] args) => new("ip", args, IgnoreFailure: ignore);

    private static RunProgram Ip(bool ignore, IReadOnlyList<string> args) => new("ip", args, IgnoreFailure: ignore);
}
