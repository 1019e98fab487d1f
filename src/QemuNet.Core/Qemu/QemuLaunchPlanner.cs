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

        if (spec.NoNetwork && spec.Nics.Count > 0)
        {
            throw new QemuNetException("VmNoNetworkWithNic", QemuNetErrorCategory.InvalidArgument, spec.Nics[0],
                "-NoNetwork was given together with NICs; leave out one or the other.",
                "Leave out -NoNetwork, or pipe no NICs, backends or networks to Start-QemuVm.");
        }

        var nics = spec.NoNetwork ? [] : spec.Nics.Count == 0 ? [new QemuNic()] : spec.Nics;
        var resolved = new List<QemuNic>(nics.Count);
        var backends = new List<QemuNetBackend>();
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

            if (nic.Backend is { } backend)
            {
                if (backends.Any(b => ReferenceEquals(b, backend)))
                {
                    throw new QemuNetException("NicBackendShared", QemuNetErrorCategory.InvalidArgument, backend,
                        "One backend object is attached to two NICs; QEMU connects a netdev to one NIC only. Create a backend per NIC.",
                        "Run New-QemuTap or New-QemuUserNet once for each NIC.");
                }

                backends.Add(backend);
                CheckForwardsAcrossBackends(backend, nics.Take(i).Select(n => n.Backend));
            }

            if (nic.Backend is QemuTapNet { Queues: > 1 } multiqueue && !QemuNicModels.IsVirtio(nic.Device))
            {
                throw new QemuNetException("TapQueuesNotVirtio", QemuNetErrorCategory.InvalidArgument, multiqueue.Queues,
                    $"-Queues {multiqueue.Queues} needs a virtio NIC (multiqueue); '{nic.Model}' has one queue.",
                    "Use New-QemuNic -Model virtio for this TAP, or leave -Queues out.");
            }

            // A named TAP can be created, attached and cleaned up; with a helper or an fd there is no name to give.
            var resolvedBackend = nic.Backend is QemuTapNet { IfName: null, Helper: null, Fd: null } tap
                ? tap with { IfName = QemuTapNet.DeriveIfName(spec.Name, i) }
                : nic.Backend;
            resolved.Add(nic with { MacAddress = mac, Id = id, Backend = resolvedBackend });
        }

        var netdevIds = resolved.Select((n, i) => n.Backend?.Id ?? $"net{i}").ToList();
        var duplicateNetdev = netdevIds.GroupBy(x => x).FirstOrDefault(g => g.Count() > 1);
        if (duplicateNetdev is not null)
        {
            throw new QemuNetException("NetdevIdDuplicate", QemuNetErrorCategory.InvalidArgument, duplicateNetdev.Key,
                $"The backend id '{duplicateNetdev.Key}' is used twice in VM '{spec.Name}'.",
                "Give each backend its own -Id in New-QemuTap or New-QemuUserNet, or leave -Id out.");
        }

        return spec with { Nics = resolved };
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

    private static void CheckForwardsAcrossBackends(QemuNetBackend backend, IEnumerable<QemuNetBackend?> earlier)
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
}
