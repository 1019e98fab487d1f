using System.Text.RegularExpressions;
using QemuNet.Core.Model;

namespace QemuNet.Core.Qemu;

/// <summary>Checks a launch spec as a whole and fills in what QEMU needs spelled out (MACs, ids, the default NIC).</summary>
public static partial class QemuLaunchPlanner
{
    public static QemuLaunchSpec Resolve(QemuLaunchSpec spec)
    {
        CheckName(spec.Name);
        if (spec.MemoryMiB is < 16 or > 1048576)
        {
            throw new QemuNetException("VmMemoryInvalid", QemuNetErrorCategory.InvalidArgument, spec.MemoryMiB,
                $"-Memory {spec.MemoryMiB} MiB is out of range (16 MiB to 1 TiB).",
                "Give -Memory in MiB or with a size suffix, from 16 MiB to 1 TiB, e.g. 1GB.");
        }

        if (spec.CpuCount is < 1 or > 255)
        {
            throw new QemuNetException("VmCpuCountInvalid", QemuNetErrorCategory.InvalidArgument, spec.CpuCount,
                $"-CpuCount {spec.CpuCount} is out of range (1 to 255).",
                "Give -CpuCount a number from 1 to 255.");
        }

        if (spec.RunAs is { } user && !UserName().IsMatch(user))
        {
            throw new QemuNetException("VmRunAsInvalid", QemuNetErrorCategory.InvalidArgument, user,
                $"'{user}' is not a user name (letters, digits, '_', '-' and '.', up to 32, not starting with '-' or '.').",
                "Give -RunAs the name of an existing unprivileged user, e.g. nobody or qemu.");
        }

        if (spec.NoNetwork && spec.Nics.Count > 0)
        {
            throw new QemuNetException("VmNoNetworkWithNic", QemuNetErrorCategory.InvalidArgument, spec.Nics[0],
                "-NoNetwork was given together with NICs; leave out one or the other.",
                "Leave out -NoNetwork, or pipe no NICs, backends or networks to Start-QemuVm.");
        }

        var nics = spec.NoNetwork ? [] : spec.Nics.Count == 0 && spec.HubBackends.Count == 0 ? [new QemuNic()] : spec.Nics;
        var resolved = new List<QemuNic>(nics.Count);
        var ownBackends = new List<QemuNetBackend>();
        var hubBackends = new Dictionary<string, (QemuNetBackend Given, QemuNetBackend Resolved)>(StringComparer.Ordinal);
        for (var i = 0; i < nics.Count; i++)
        {
            var nic = nics[i];
            var mac = nic.MacAddress ?? MacAddress.Derive(spec.Name, i);
            var id = nic.Id ?? $"nic{i}";
            if (resolved.FirstOrDefault(r => r.MacAddress == mac) is not null)
            {
                throw new QemuNetException("NicMacDuplicate", QemuNetErrorCategory.InvalidArgument, mac,
                    $"The MAC address {mac} is given to two NICs of VM '{spec.Name}'; every NIC needs its own.",
                    "Leave -MacAddress out to get a stable unique address per NIC.");
            }

            if (resolved.FirstOrDefault(r => r.Id == id) is not null)
            {
                throw new QemuNetException("NicIdDuplicate", QemuNetErrorCategory.InvalidArgument, id,
                    $"The NIC id '{id}' is used twice in VM '{spec.Name}'.",
                    "Give each NIC its own New-QemuNic -Id, or leave -Id out.");
            }

            if (nic.PciAddress is { } addr && resolved.Any(r => r.PciAddress == addr))
            {
                throw new QemuNetException("NicPciAddressDuplicate", QemuNetErrorCategory.InvalidArgument, addr,
                    $"The PCI address {addr} is given to two NICs of VM '{spec.Name}'.",
                    "Give each NIC its own New-QemuNic -PciAddress, or leave -PciAddress out.");
            }

            var resolvedBackend = nic.Backend;
            if (nic.Backend is { Hub: null } backend)
            {
                if (ownBackends.Any(b => ReferenceEquals(b, backend)))
                {
                    throw new QemuNetException("NicBackendShared", QemuNetErrorCategory.InvalidArgument, backend,
                        "One backend object is attached to two NICs; QEMU connects a netdev to one NIC only, unless both sit on a hub.",
                        "Run New-QemuTap or New-QemuUserNet once for each NIC, or give the backend -Hub to share it between NICs.");
                }

                ownBackends.Add(backend);
                resolvedBackend = ResolveBackend(spec.Name, backend, i, hubBackends.Values.Select(h => h.Resolved).Concat(ownBackends.SkipLast(1)));
            }
            else if (nic.Backend is { } onHub)
            {
                resolvedBackend = JoinHub(spec.Name, onHub, i, $"net{i}", hubBackends, ownBackends);
            }

            if (nic.Backend is QemuTapNet { Queues: > 1 } multiqueue && !QemuNicModels.IsVirtio(nic.Device))
            {
                throw new QemuNetException("TapQueuesNotVirtio", QemuNetErrorCategory.InvalidArgument, multiqueue.Queues,
                    $"-Queues {multiqueue.Queues} needs a virtio NIC (multiqueue); '{nic.Model}' has one queue.",
                    "Use New-QemuNic -Model virtio for this TAP, or leave -Queues out.");
            }

            resolved.Add(nic with { MacAddress = mac, Id = id, Backend = resolvedBackend });
        }

        var resolvedHubOnly = new List<QemuNetBackend>();
        for (var k = 0; k < spec.HubBackends.Count; k++)
        {
            var backend = spec.HubBackends[k];
            if (backend.Hub is not { } hub)
            {
                throw new QemuNetException("VmHubBackendWithoutHub", QemuNetErrorCategory.InvalidArgument, backend,
                    $"The backend {backend} is given as a hub's backend but sits on no hub.",
                    "Give it -Hub N (New-QemuUserNet, New-QemuTap or New-QemuSocketNet), or attach it to a NIC instead.");
            }

            var before = hubBackends.Count;
            var joined = JoinHub(spec.Name, backend, nics.Count + k, $"hub{hub}-net{k}", hubBackends, ownBackends);
            if (hubBackends.Count > before)
            {
                resolvedHubOnly.Add(joined);
            }
        }

        var netdevIds = resolved.Where(n => n.Backend is null).Select(n => $"net{resolved.IndexOf(n)}")
            .Concat(new QemuLaunchSpec { Nics = resolved, HubBackends = resolvedHubOnly }.Backends().Select(b => b.Id).OfType<string>())
            .ToList();
        var duplicateNetdev = netdevIds.GroupBy(x => x).FirstOrDefault(g => g.Count() > 1);
        if (duplicateNetdev is not null)
        {
            throw new QemuNetException("NetdevIdDuplicate", QemuNetErrorCategory.InvalidArgument, duplicateNetdev.Key,
                $"The backend id '{duplicateNetdev.Key}' is used twice in VM '{spec.Name}'.",
                "Give each backend its own -Id in New-QemuTap, New-QemuUserNet or New-QemuSocketNet, or leave -Id out.");
        }

        return spec with { Nics = resolved, HubBackends = resolvedHubOnly };
    }

    /// <summary>
    /// Puts a backend on its hub once: the first NIC (or hub entry) that names it pins its id, later ones share it.
    /// The same id with other settings is two backends claiming one name.
    /// </summary>
    private static QemuNetBackend JoinHub(string vmName, QemuNetBackend backend, int index, string defaultId,
        Dictionary<string, (QemuNetBackend Given, QemuNetBackend Resolved)> hubBackends, List<QemuNetBackend> ownBackends)
    {
        var key = QemuLaunchSpec.HubKey(backend)!;
        if (hubBackends.TryGetValue(key, out var known))
        {
            if (backend.Id is not null && SavedSpec.ToText(known.Given) != SavedSpec.ToText(backend))
            {
                throw new QemuNetException("NetdevIdDuplicate", QemuNetErrorCategory.InvalidArgument, backend.Id,
                    $"Two different backends on hub {backend.Hub} are both called '{backend.Id}' ({known.Given} and {backend}).",
                    "Give each backend its own -Id, or use the same backend object for the NICs that share it.");
            }

            return known.Resolved;
        }

        var resolvedBackend = ResolveBackend(vmName, backend with { Id = backend.Id ?? defaultId }, index, hubBackends.Values.Select(h => h.Resolved).Concat(ownBackends));
        hubBackends[key] = (backend, resolvedBackend);
        return resolvedBackend;
    }

    /// <summary>Names a TAP that needs a name, and checks a user network's forwards against the backends before it.</summary>
    private static QemuNetBackend ResolveBackend(string vmName, QemuNetBackend backend, int index, IEnumerable<QemuNetBackend> earlier)
    {
        CheckForwardsAcrossBackends(backend, earlier);

        // A named TAP can be created, attached and cleaned up; with a helper or an fd there is no name to give.
        return backend is QemuTapNet { IfName: null, Helper: null } tap && (tap.Fd is null || tap.ModuleOpens)
            ? tap with { IfName = QemuTapNet.DeriveIfName(vmName, index) }
            : backend;
    }

    public static string CheckName(string name)
    {
        if (!VmName().IsMatch(name))
        {
            throw new QemuNetException("VmNameInvalid", QemuNetErrorCategory.InvalidArgument, name,
                $"'{name}' is not a usable VM name: start with a letter or digit, then letters, digits, '-', '.' or '_', at most 64 characters.",
                "Give -Name a letter or digit, then letters, digits, '-', '.' or '_', e.g. web1.");
        }

        return name;
    }

    private static void CheckForwardsAcrossBackends(QemuNetBackend backend, IEnumerable<QemuNetBackend> earlier)
    {
        if (backend is not QemuUserNet user)
        {
            return;
        }

        foreach (var other in earlier.OfType<QemuUserNet>())
        {
            foreach (var forward in user.HostForward)
            {
                if (other.HostForward.FirstOrDefault(forward.ConflictsWith) is { } clash)
                {
                    throw new QemuNetException("UserNetHostPortDuplicate", QemuNetErrorCategory.InvalidArgument, forward.HostPort,
                        $"Host port {forward.HostPort}/{forward.Protocol} is forwarded by two user networks of the VM ({clash} and {forward}).",
                        "Give each -HostForward of the VM its own host port or host address.");
                }
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex VmName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex UserName();
}
