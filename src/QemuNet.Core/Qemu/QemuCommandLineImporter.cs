using System.Globalization;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;

namespace QemuNet.Core.Qemu;

/// <summary>What a command line became: the spec, what could not be carried over, and what QemuNet does its own way.</summary>
public sealed record QemuCommandLineImport(QemuLaunchSpec Spec, IReadOnlyList<string> NotUnderstood, IReadOnlyList<string> Superseded);

/// <summary>
/// Turns a QEMU command line (classic -net with vlan=/name=, or -netdev/-device/-nic) into QemuNet's objects,
/// with the meaning the line had: vlan=n is hub n, a -net tap without script= ran /etc/qemu-ifup, -net nic without
/// model= is QEMU's default e1000. Every option is either carried over, or reported; none is dropped silently.
/// </summary>
public static class QemuCommandLineImporter
{
    /// <summary>QEMU's default TAP scripts, which an old line relied on when it named none.</summary>
    public const string DefaultIfup = "/etc/qemu-ifup";

    public const string DefaultIfdown = "/etc/qemu-ifdown";

    /// <summary>QEMU's memory when a line has no -m.</summary>
    public const int DefaultMemoryMiB = 128;

    /// <summary>The model `-net nic` gets on x86's pc machine when it names none.</summary>
    public const string DefaultNicModel = "e1000";

    private static readonly string[] KnownNetTypes = ["nic", "user", "tap", "bridge", "socket", "hubport", "none"];

    /// <summary>Types QEMU has that QemuNet does not model: refused rather than half-carried over.</summary>
    private static readonly string[] OtherNetTypes = ["vde", "l2tpv3", "netmap", "vhost-user", "vhost-vdpa", "dump", "stream", "dgram", "af-xdp", "vmnet-host", "vmnet-shared", "vmnet-bridged"];

    /// <summary>How QemuNet runs a guest (headless, its own serial log, QMP socket, daemonized): these are replaced.</summary>
    private static readonly string[] RunOptions = ["-nographic", "-display", "-serial", "-monitor", "-qmp", "-daemonize", "-pidfile", "-vnc", "-curses", "-sdl", "-nodefaults"];

    public static QemuCommandLineImport Import(IReadOnlyList<QemuCliOption> options, IReadOnlyCollection<string> knownModels, string defaultName)
    {
        var state = new ImportState(knownModels);
        var spec = new QemuLaunchSpec { Name = defaultName, MemoryMiB = DefaultMemoryMiB };
        foreach (var option in options)
        {
            spec = state.Take(option, spec);
        }

        return new QemuCommandLineImport(state.Network(spec), state.NotUnderstood, state.Superseded);
    }

    private sealed class ImportState(IReadOnlyCollection<string> knownModels)
    {
        private readonly List<NicEntry> _nics = [];
        private readonly List<NetdevEntry> _netdevs = [];
        private readonly HashSet<string> _deviceIds = new(StringComparer.Ordinal);
        private bool _noNetwork;
        private bool _networkGiven;

        public List<string> NotUnderstood { get; } = [];

        public List<string> Superseded { get; } = [];

        public QemuLaunchSpec Take(QemuCliOption option, QemuLaunchSpec spec)
        {
            var value = option.Value;
            // Network options, even ones not carried over, mean the line did not rely on QEMU's default NIC.
            _networkGiven |= option.Name is "-net" or "-netdev" or "-nic";
            switch (option.Name)
            {
                case "-name":
                    var name = Pairs(option, "guest");
                    Unknown(option, name, "guest");
                    return spec with { Name = At(option, "guest", () => QemuLaunchPlanner.CheckName(name.First("guest") ?? spec.Name)) };
                case "-m":
                    var memory = Pairs(option, "size");
                    Unknown(option, memory, "size");
                    return spec with { MemoryMiB = MemoryMiB(option, memory.First("size")) };
                case "-smp":
                    var smp = Pairs(option, "cpus");
                    Unknown(option, smp, "cpus");
                    return spec with { CpuCount = smp.First("cpus") is { } cpus ? Int(option, "cpus", cpus) : spec.CpuCount };
                case "-kernel":
                    return spec with { Kernel = value };
                case "-initrd":
                    return spec with { Initrd = value };
                case "-append":
                    return spec with { Append = value };
                case "-enable-kvm":
                    return spec with { Accelerator = QemuAccelerator.Kvm };
                case "-no-kvm":
                    return spec with { Accelerator = QemuAccelerator.Tcg };
                case "-accel":
                    var accel = Pairs(option, "accel");
                    Unknown(option, accel, "accel");
                    return spec with { Accelerator = Accelerator(option, accel.First("accel")) ?? spec.Accelerator };
                case "-machine" or "-M":
                    var machine = Pairs(option, "type");
                    var rest = machine.Items.Where(p => p.Key != "accel").ToList();
                    spec = machine.First("accel") is { } accelerators ? spec with { Accelerator = Accelerator(option, accelerators.Split(':')[0]) ?? spec.Accelerator } : spec;
                    return rest.Count == 0 ? spec
                        : spec with { PassThrough = [.. spec.PassThrough, new QemuPassThroughOption("-machine", new QemuOptionPairs(rest).ToOptionString("type"))] };
                case "-net":
                    Net(option);
                    return spec;
                case "-netdev":
                    Netdev(option);
                    return spec;
                case "-nic":
                    Nic(option);
                    return spec;
                case "-device":
                    return Device(option, spec);
            }

            if (RunOptions.Contains(option.Name, StringComparer.Ordinal))
            {
                Superseded.Add(option.ToString());
                return spec;
            }

            if (QemuPassThroughOption.Allowed.Contains(option.Name, StringComparer.Ordinal))
            {
                return spec with { PassThrough = [.. spec.PassThrough, QemuPassThroughOption.Create(option.Name, value)] };
            }

            NotUnderstood.Add($"{option} ({option.Where})");
            return spec;
        }

        private void Net(QemuCliOption option)
        {
            var pairs = Pairs(option, "type");
            var type = pairs.First("type") ?? throw Malformed(option, option.Value ?? string.Empty, "-net needs a type, e.g. -net nic or -net user.");
            CheckType(option, type);
            var explicitVlan = pairs.First("vlan") is not null;
            var vlan = explicitVlan ? Int(option, "vlan", pairs.First("vlan")!) : 0;
            var id = pairs.First("name") ?? pairs.First("id");
            switch (type)
            {
                case "none":
                    _noNetwork = true;
                    return;
                case "nic":
                    AddNic(option, pairs, "macaddr", pairs.First("netdev") is { } netdev ? new Attachment(netdev, null, false) : new Attachment(null, vlan, explicitVlan));
                    return;
                case "hubport":
                    throw Malformed(option, type, "hubport is a -netdev type, not a -net one.");
                default:
                    AddNetdev(option, type, pairs, id, new Attachment(null, vlan, explicitVlan), "name", "vlan", "id");
                    return;
            }
        }

        private void Netdev(QemuCliOption option)
        {
            var pairs = Pairs(option, "type");
            var type = pairs.First("type") ?? throw Malformed(option, option.Value ?? string.Empty, "-netdev needs a type, e.g. -netdev user,id=net0.");
            CheckType(option, type);
            if (type is "nic" or "none")
            {
                throw Malformed(option, type, $"'{type}' is not a -netdev type (it is a -net one).");
            }

            var id = pairs.First("id") ?? throw Malformed(option, option.Value ?? type, "-netdev needs id=, the name a -device netdev= refers to.");
            AddNetdev(option, type, pairs, id, null, "id");
        }

        private void Nic(QemuCliOption option)
        {
            var pairs = Pairs(option, "type");
            var type = pairs.First("type") ?? throw Malformed(option, option.Value ?? string.Empty, "-nic needs a type, e.g. -nic user,model=virtio.");
            CheckType(option, type);
            if (type == "none")
            {
                _noNetwork = true;
                return;
            }

            if (type is "nic" or "hubport")
            {
                throw Malformed(option, type, $"'{type}' is not a -nic backend type.");
            }

            // -nic is a NIC and its backend in one; the backend's id is the NIC's (QEMU names both after id=).
            var id = pairs.First("id") ?? $"__nic{_nics.Count}";
            AddNetdev(option, type, pairs.Without("model", "mac"), pairs.First("id"), null, "id");
            _netdevs[^1] = _netdevs[^1] with { Id = id };
            AddNic(option, pairs.Only("model", "mac"), "mac", new Attachment(id, null, false));
        }

        private QemuLaunchSpec Device(QemuCliOption option, QemuLaunchSpec spec)
        {
            var pairs = Pairs(option, "driver");
            var driver = pairs.First("driver") ?? throw Malformed(option, option.Value ?? string.Empty, "-device needs a driver name.");
            if (!knownModels.Contains(driver, StringComparer.OrdinalIgnoreCase) && pairs.First("netdev") is null)
            {
                NotUnderstood.Add($"{option} ({option.Where})");
                return spec;
            }

            _networkGiven = true;
            if (pairs.First("netdev") is not { } netdev)
            {
                NotUnderstood.Add($"{option} ({option.Where}): a NIC without netdev= has no backend; QemuNet gives every NIC one");
                return spec;
            }

            AddNic(option, pairs.Without("netdev").Renamed("driver", "model"), "mac", new Attachment(netdev, null, false));
            return spec;
        }

        private void AddNic(QemuCliOption option, QemuOptionPairs pairs, string macKey, Attachment attachment)
        {
            var model = pairs.First("model") ?? DefaultNicModel;
            if (model is "?" or "help")
            {
                throw Malformed(option, "model=" + model, "model=help lists models and starts nothing; run Get-QemuNicModel for that.");
            }

            var id = pairs.First("name") ?? pairs.First("id");
            if (id is not null && !_deviceIds.Add(id))
            {
                throw new QemuNetException("CommandLineIdDuplicate", QemuNetErrorCategory.InvalidArgument, id,
                    $"At {option.Where} ('{option}'): the NIC id '{id}' is given twice.", "Give each NIC its own id= (or name=).");
            }

            var nic = At(option, model, () => QemuNic.Create(model, pairs.First(macKey), id, Slot(option, pairs.First("addr")),
                pairs.First("vectors") is { } v ? Int(option, "vectors", v) : null,
                pairs.First("bootindex") is { } b ? Int(option, "bootindex", b) : null, null, knownModels));
            Unknown(option, pairs, "type", "driver", "model", "vlan", "name", "id", macKey, "addr", "vectors", "bootindex", "netdev", "mq");
            _nics.Add(new NicEntry(nic, attachment, option));
        }

        private void AddNetdev(QemuCliOption option, string type, QemuOptionPairs pairs, string? id, Attachment? vlan, params string[] handled)
        {
            if (id is not null && _netdevs.Any(n => n.Id == id))
            {
                throw new QemuNetException("CommandLineIdDuplicate", QemuNetErrorCategory.InvalidArgument, id,
                    $"At {option.Where} ('{option}'): the backend id '{id}' is given twice.", "Give each backend its own id= (or name=).");
            }

            if (type == "hubport")
            {
                var hub = Int(option, "hubid", pairs.First("hubid") ?? throw Malformed(option, option.Value!, "hubport needs hubid=."));
                Unknown(option, pairs, "type", "id", "hubid", "netdev");
                _netdevs.Add(new NetdevEntry(id!, null, hub, pairs.First("netdev"), null, option));
                return;
            }

            var backend = At(option, type, () => Backend(option, type, pairs, id, handled));
            _netdevs.Add(new NetdevEntry(id ?? $"__net{_netdevs.Count}", backend, null, null, vlan, option));
        }

        private QemuNetBackend Backend(QemuCliOption option, string type, QemuOptionPairs p, string? id, string[] handled)
        {
            bool? Bool(string key) => p.First(key) is { } v ? Flag(option, key, v) : null;
            string[] Handled(params string[] keys) => [.. handled, "type", .. keys];
            switch (type)
            {
                case "user":
                    // ipv4=on is QEMU's default; ipv4=off (an IPv6-only slirp) is not something QemuNet models.
                    Unknown(option, p.First("ipv4") == "on" ? p.Without("ipv4") : p, Handled("net", "dhcpstart", "dns", "hostname", "domainname", "restrict", "hostfwd"));
                    return QemuUserNet.Create(id, Bool("restrict") ?? false, p.First("net"), p.First("dhcpstart"), p.First("dns"), p.First("hostname"),
                        p.First("domainname"), p.All("hostfwd").Select(HostForward).ToArray());
                case "socket":
                    Unknown(option, p, Handled("listen", "connect", "mcast", "udp", "localaddr"));
                    var modes = new[] { QemuSocketMode.Listen, QemuSocketMode.Connect, QemuSocketMode.Mcast, QemuSocketMode.Udp }
                        .Where(m => p.First(m.ToString().ToLowerInvariant()) is not null).ToList();
                    if (modes.Count != 1)
                    {
                        throw Malformed(option, option.Value!, "a socket backend needs exactly one of listen=, connect=, mcast= or udp=.");
                    }

                    return QemuSocketNet.Create(id, modes[0], p.First(modes[0].ToString().ToLowerInvariant())!, p.First("localaddr"), null);
                case "bridge":
                    Unknown(option, p, Handled("br", "helper"));
                    return new QemuTapNet { Id = id, Bridge = p.First("br") ?? "br0", Helper = BridgeHelper.Require(p.First("helper")).Path }.Validate();
                default:
                    Unknown(option, p, Handled("ifname", "script", "downscript", "helper", "br", "fd", "sndbuf", "vnet_hdr", "vhost", "queues"));
                    var helper = p.First("helper");
                    var fd = p.First("fd") is { } f ? Int(option, "fd", f) : (int?)null;
                    // Without script=/downscript= QEMU ran /etc/qemu-ifup and /etc/qemu-ifdown: the line meant those.
                    var scripted = helper is null && fd is null;
                    return new QemuTapNet
                    {
                        Id = id,
                        IfName = p.First("ifname"),
                        Bridge = helper is null ? null : p.First("br") ?? "br0",
                        Script = NoScript(p.First("script") ?? (scripted ? DefaultIfup : null)),
                        DownScript = NoScript(p.First("downscript") ?? (scripted ? DefaultIfdown : null)),
                        Helper = helper,
                        Fd = fd,
                        SndBuf = p.First("sndbuf") is { } s ? long.Parse(IntText(option, "sndbuf", s), CultureInfo.InvariantCulture) : null,
                        VnetHdr = Bool("vnet_hdr"),
                        Vhost = Bool("vhost") switch { true => QemuVhostMode.On, false => QemuVhostMode.Off, null => QemuVhostMode.Auto },
                        Queues = p.First("queues") is { } q ? Int(option, "queues", q) : null,
                    }.Validate();
            }
        }

        /// <summary>Wires NICs to backends: directly, through hubport netdevs, or by vlan number (a hub).</summary>
        public QemuLaunchSpec Network(QemuLaunchSpec spec)
        {
            if (_noNetwork)
            {
                if (_nics.Count > 0 || _netdevs.Count > 0)
                {
                    var first = (QemuCliOption?)_nics.FirstOrDefault()?.Option ?? _netdevs[0].Option;
                    throw Malformed(first, first.ToString(), "the line has -net none (or -nic none) and NICs or backends too.");
                }

                return spec with { NoNetwork = true };
            }

            if (_nics.Count == 0 && _netdevs.Count == 0 && !_networkGiven)
            {
                // QEMU's own default: -net nic -net user (seed, section 1), which is an e1000 on x86 today.
                Superseded.Add("no network options: QEMU's default NIC, an e1000 on user-mode networking, is given explicitly");
                return spec with { Nics = [QemuNic.Create(DefaultNicModel, null, null, null, null, null, new QemuUserNet(), knownModels)] };
            }

            var used = new HashSet<string>(StringComparer.Ordinal);
            var hubs = new SortedDictionary<int, (List<NetdevEntry> Backends, List<int> Nics, bool Explicit)>();
            (List<NetdevEntry> Backends, List<int> Nics, bool Explicit) Hub(int id, bool explicitly)
            {
                if (!hubs.TryGetValue(id, out var hub))
                {
                    hub = ([], [], false);
                }

                hubs[id] = hub = (hub.Backends, hub.Nics, hub.Explicit || explicitly);
                return hub;
            }

            foreach (var netdev in _netdevs)
            {
                if (netdev.Vlan is { Vlan: { } vlan } attachment)
                {
                    Hub(vlan, attachment.Explicit).Backends.Add(netdev);
                }
                else if (netdev.HubId is { } hubId)
                {
                    var hub = Hub(hubId, true);
                    if (netdev.HubPortNetdev is { } peer)
                    {
                        var target = _netdevs.FirstOrDefault(n => n.Id == peer && n.Backend is not null)
                            ?? throw Malformed(netdev.Option, "netdev=" + peer, $"there is no backend '{peer}' for this hub port.");
                        Claim(used, target, netdev.Option);
                        hub.Backends.Add(target);
                    }
                }
            }

            var nics = new QemuNic?[_nics.Count];
            for (var i = 0; i < _nics.Count; i++)
            {
                var entry = _nics[i];
                if (entry.Attachment.Netdev is { } netdevId)
                {
                    var target = _netdevs.FirstOrDefault(n => n.Id == netdevId)
                        ?? throw new QemuNetException("CommandLineNetdevUnknown", QemuNetErrorCategory.InvalidArgument, netdevId,
                            $"At {entry.Option.Where} ('{entry.Option}'): no -netdev has id={netdevId}.", "Add the -netdev with that id, or correct netdev=.");
                    if (target.HubId is { } hubId)
                    {
                        Claim(used, target, entry.Option);
                        Hub(hubId, true).Nics.Add(i);
                    }
                    else
                    {
                        Claim(used, target, entry.Option);
                        nics[i] = entry.Nic with { Backend = target.Backend };
                    }
                }
                else
                {
                    Hub(entry.Attachment.Vlan!.Value, entry.Attachment.Explicit).Nics.Add(i);
                }
            }

            var hubBackends = new List<QemuNetBackend>();
            foreach (var (hubId, hub) in hubs)
            {
                var backends = hub.Backends.Distinct().ToList();
                if (!hub.Explicit && hub.Nics.Count == 1 && backends.Count == 1 && backends[0].HubId is null)
                {
                    // The seed's -net nic -net tap: one NIC, one backend, the implied vlan 0; today that is a plain pair.
                    nics[hub.Nics[0]] = _nics[hub.Nics[0]].Nic with { Backend = backends[0].Backend };
                    continue;
                }

                var onHub = backends.Select(b => b.Backend! with { Hub = hubId }).ToList();
                if (onHub.Count == 0)
                {
                    foreach (var nicIndex in hub.Nics)
                    {
                        NotUnderstood.Add($"{_nics[nicIndex].Option} ({_nics[nicIndex].Option.Where}): the NIC sits on hub {hubId}, which has no backend; QemuNet gives every NIC one");
                    }

                    continue;
                }

                foreach (var nicIndex in hub.Nics)
                {
                    nics[nicIndex] = _nics[nicIndex].Nic with { Backend = onHub[0] };
                }

                hubBackends.AddRange(hub.Nics.Count == 0 ? onHub : onHub.Skip(1));
            }

            foreach (var netdev in _netdevs.Where(n => n.Backend is not null && n.Vlan is null && !used.Contains(n.Id)))
            {
                NotUnderstood.Add($"{netdev.Option} ({netdev.Option.Where}): no NIC uses this backend");
            }

            // A -nic's or unnamed -net's generated id is QemuNet's to choose again.
            var result = nics.OfType<QemuNic>().Select(n => n with { Backend = Unnamed(n.Backend) }).ToArray();
            return spec with { Nics = result, HubBackends = hubBackends.Select(b => Unnamed(b)!).ToArray() };
        }

        private static QemuNetBackend? Unnamed(QemuNetBackend? backend) =>
            backend?.Id is { } id && id.StartsWith("__", StringComparison.Ordinal) ? backend with { Id = null } : backend;

        private static void Claim(HashSet<string> used, NetdevEntry netdev, QemuCliOption by)
        {
            if (!used.Add(netdev.Id))
            {
                throw new QemuNetException("CommandLineNetdevShared", QemuNetErrorCategory.InvalidArgument, netdev.Id,
                    $"At {by.Where} ('{by}'): the backend '{netdev.Id}' is already used by another NIC or hub port; QEMU connects a netdev to one peer.",
                    "Give each NIC its own backend, or put them on a hub (-netdev hubport).");
            }
        }

        private void CheckType(QemuCliOption option, string type)
        {
            if (OtherNetTypes.Contains(type, StringComparer.Ordinal))
            {
                throw new QemuNetException("CommandLineNetTypeUnsupported", QemuNetErrorCategory.InvalidArgument, type,
                    $"At {option.Where} ('{option}'): QemuNet does not model '{type}' networking.",
                    "Use user, tap, bridge or socket networking, or start this guest without QemuNet.");
            }

            if (!KnownNetTypes.Contains(type, StringComparer.Ordinal))
            {
                throw new QemuNetException("CommandLineNetTypeUnknown", QemuNetErrorCategory.InvalidArgument, type,
                    $"At {option.Where} ('{option}'): '{type}' is not a QEMU network type (nic, user, tap, bridge, socket, hubport, none).",
                    "Correct the type after -net, -netdev or -nic.");
            }
        }

        private void Unknown(QemuCliOption option, QemuOptionPairs pairs, params string[] known)
        {
            foreach (var pair in pairs.Items.Where(p => !known.Contains(p.Key, StringComparer.Ordinal)))
            {
                NotUnderstood.Add($"{option.Name} …{pair.Key}={pair.Value} ({option.Where})");
            }
        }

        private static QemuOptionPairs Pairs(QemuCliOption option, string impliedKey) =>
            option.Value is null ? new QemuOptionPairs([]) : At(option, option.Value, () => QemuOptionPairs.Parse(option.Value, impliedKey));

        /// <summary>In QEMU's hostfwd an empty host address is every address; QemuNet's own default is loopback.</summary>
        private static QemuHostForward HostForward(string text)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return QemuHostForward.Parse(colon >= 0 && colon + 1 < text.Length && text[colon + 1] == ':' ? text.Insert(colon + 1, "0.0.0.0") : text);
        }

        private static string? NoScript(string? script) => script is null or "no" ? null : script;

        private static QemuAccelerator? Accelerator(QemuCliOption option, string? name) => name switch
        {
            null => null,
            "kvm" => QemuAccelerator.Kvm,
            "tcg" => QemuAccelerator.Tcg,
            _ => throw Malformed(option, name, $"'{name}' is not an accelerator QemuNet starts guests with (kvm, tcg)."),
        };

        /// <summary>QEMU's -m: MiB by default, or with a suffix K, M, G or T.</summary>
        private static int MemoryMiB(QemuCliOption option, string? text)
        {
            if (text is null || text.Length == 0)
            {
                throw Malformed(option, option.Value ?? "-m", "-m needs a size, e.g. -m 512 or -m 1G.");
            }

            var unit = char.ToUpperInvariant(text[^1]);
            var factor = unit switch { 'K' => 1.0 / 1024, 'M' => 1, 'G' => 1024, 'T' => 1024 * 1024, _ => 0 };
            var number = factor == 0 ? text : text[..^1];
            if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || (factor == 0 && !char.IsAsciiDigit(unit)))
            {
                throw Malformed(option, text, $"'{text}' is not a memory size (a number of MiB, or with K, M, G or T).");
            }

            return (int)Math.Min(int.MaxValue, Math.Ceiling(value * (factor == 0 ? 1 : factor)));
        }

        /// <summary>-net nic,addr= took a slot or bus:slot (bus 0); -device addr= a slot with an optional function.</summary>
        private static string? Slot(QemuCliOption option, string? addr)
        {
            if (addr is null)
            {
                return null;
            }

            var colon = addr.Split(':');
            if (colon.Length == 2 && int.TryParse(colon[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bus) && bus == 0)
            {
                addr = colon[1];
            }
            else if (colon.Length > 1)
            {
                throw Malformed(option, "addr=" + addr, "QemuNet places NICs on PCI bus 0 only: give the slot, e.g. addr=5 or addr=0:5.");
            }

            return At(option, "addr=" + addr, () => PciAddress.Normalize(addr));
        }

        private static bool Flag(QemuCliOption option, string key, string value) => value switch
        {
            "on" or "yes" or "true" => true,
            "off" or "no" or "false" => false,
            _ => throw Malformed(option, $"{key}={value}", $"{key}= takes on or off."),
        };

        private static int Int(QemuCliOption option, string key, string value) =>
            int.Parse(IntText(option, key, value), CultureInfo.InvariantCulture);

        private static string IntText(QemuCliOption option, string key, string value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? value
                : throw Malformed(option, $"{key}={value}", $"{key}= takes a whole number.");

        private static QemuNetException Malformed(QemuCliOption option, string token, string why) =>
            new("CommandLineOptionInvalid", QemuNetErrorCategory.InvalidArgument, token, $"At {option.Where} ('{option}'): {why}",
                "Correct that option of the command line.");

        /// <summary>The model's own checks, their ids kept, told where in the line the value was.</summary>
        private static T At<T>(QemuCliOption option, string token, Func<T> make)
        {
            try
            {
                return make();
            }
            catch (QemuNetException ex) when (!ex.Message.StartsWith("At " + option.Where, StringComparison.Ordinal))
            {
                throw new QemuNetException(ex.ErrorId, ex.Category, ex.Target ?? token, $"At {option.Where} ('{option}'): {ex.Message}", ex.RecommendedAction, ex);
            }
        }
    }

    private sealed record Attachment(string? Netdev, int? Vlan, bool Explicit);

    private sealed record NicEntry(QemuNic Nic, Attachment Attachment, QemuCliOption Option);

    /// <summary>A backend (Backend set) or a hub port (HubId set); Vlan when it came from -net.</summary>
    private sealed record NetdevEntry(string Id, QemuNetBackend? Backend, int? HubId, string? HubPortNetdev, Attachment? Vlan, QemuCliOption Option);
}
