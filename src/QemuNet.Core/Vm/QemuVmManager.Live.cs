using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QemuNet.Core.Bridge;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Vm;

/// <summary>
/// Network changes on a running guest over QMP: hot-plugged NICs, the cable, user-mode host forwards and packet
/// captures. Each is a plan of the VM's kind (same journal and lock as start and stop), so a killed change is
/// finished or undone by the VM's next command, and its last step writes the VM's record.
/// </summary>
public sealed partial class QemuVmManager
{
    /// <summary>How long a guest gets to release an unplugged NIC.</summary>
    public int UnplugTimeoutSec { get; init; } = 30;

    /// <summary>Hot-plugs <paramref name="nic"/> (backend, then device; a module TAP first) and records it; returns the NIC as plugged.</summary>
    public async Task<(QemuVm? Vm, QemuNic? Nic)> AddNicAsync(string name, QemuNic nic, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        QemuNic? added = null;
        var vm = await LiveChangeAsync(name, whatIf, confirm, ct, async (vm, nics, host, token) =>
        {
            var (resolved, tapSteps, created) = await ResolveHotPlugAsync(vm, nics, nic, host, token).ConfigureAwait(false);
            added = resolved;
            var netdev = QemuProperties.Netdev(resolved.Backend!, resolved.Backend!.Id!).ToQmpArguments();
            var device = QemuProperties.Device(resolved, resolved.Backend!.Id!).ToQmpArguments();
            var target = $"VM '{vm.Name}'";
            List<HostStep> steps =
            [
                .. tapSteps,
                new(target, $"Hot-plug the backend {resolved.Backend!.Id} ({resolved.Backend})",
                    new HostChange(Qmp(vm, "netdev_add", netdev), Qmp(vm, "netdev_del", new JsonObject { ["id"] = resolved.Backend!.Id }, ignoreFailure: true))),
                new(target, $"Hot-plug NIC {resolved.Id} ({resolved.Model}, {resolved.MacAddress})",
                    new HostChange(Qmp(vm, "device_add", device), new QmpUnplugDevice(vm.Name, vm.QmpSocket, resolved.Id!, UnplugTimeoutSec, IgnoreFailure: true))),
                RecordStep(vm, vm with { CreatedTaps = [.. vm.CreatedTaps, .. created] }, [.. nics, resolved], $"NIC {resolved.Id} added"),
            ];
            return steps;
        }).ConfigureAwait(false);
        return (vm, added);
    }

    /// <summary>Unplugs NIC <paramref name="id"/> (device_del, DEVICE_DELETED, netdev_del), deletes a TAP the module made for it, and records that.</summary>
    public Task<QemuVm?> RemoveNicAsync(string name, string id, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct) =>
        LiveChangeAsync(name, whatIf, confirm, ct, async (vm, nics, host, token) =>
        {
            var nic = FindNic(vm, nics, id);
            if (vm.Captures.FirstOrDefault(c => c.NicId == id) is { } capture)
            {
                throw new QemuNetException("VmNicCaptureActive", QemuNetErrorCategory.ResourceBusy, id,
                    $"NIC {id} of VM '{vm.Name}' is being captured to {capture.Path} ({capture.Id}).",
                    $"Stop the capture first: Stop-QemuNetCapture -VmName {vm.Name} -Id {capture.Id}.");
            }

            if (nic.Backend is { Hub: not null })
            {
                throw new QemuNetException("VmNicBackendNotHotpluggable", QemuNetErrorCategory.InvalidOperation, id,
                    $"NIC {id} of VM '{vm.Name}' is on a hub (-Hub), whose ports QemuNet does not unplug.",
                    "Stop the VM, and start it again without that NIC.");
            }

            var netdevId = nic.Backend!.Id!;
            var target = $"VM '{vm.Name}'";
            var steps = new List<HostStep>
            {
                new(target, $"Unplug NIC {id} (the guest releases it)",
                    new HostChange(new QmpUnplugDevice(vm.Name, vm.QmpSocket, id, UnplugTimeoutSec), Qmp(vm, "device_add", QemuProperties.Device(nic, netdevId).ToQmpArguments()))),
                new(target, $"Remove the backend {netdevId}",
                    new HostChange(Qmp(vm, "netdev_del", new JsonObject { ["id"] = netdevId }), Qmp(vm, "netdev_add", QemuProperties.Netdev(nic.Backend, netdevId).ToQmpArguments()))),
            };
            var taps = vm.CreatedTaps;
            if (nic.Backend is QemuTapNet { IfName: { } ifName } tap && vm.CreatedTaps.Contains(ifName))
            {
                taps = vm.CreatedTaps.Where(t => t != ifName).ToArray();
                var alias = TapAlias(vm.Name);
                if (host.Id.Inode != 0 && await HostLinks.GetAsync(host, ifName, token).ConfigureAwait(false) is { Kind: "tun" } link && (link.Alias is null || link.Alias == alias))
                {
                    // Undone, the TAP is made again as a start makes it, so the backend's netdev_add finds it.
                    var make = TapMaking(ifName, tap, tap.Bridge!, alias, TapOwner);
                    steps.Add(new HostStep(ifName, $"Delete TAP {ifName}",
                        new HostChange(new DeleteOwnedLink(ifName, alias), [make[0] with { IgnoreFailure = true }, .. make.Skip(1)])));
                }
            }

            steps.Add(RecordStep(vm, vm with { CreatedTaps = taps, LinkDown = vm.LinkDown.Where(l => l != id).ToArray() },
                nics.Where(n => n.Id != id).ToArray(), $"NIC {id} removed"));
            return steps;
        });

    /// <summary>Plugs the cable of NIC <paramref name="id"/> in or pulls it (set_link), and records the state.</summary>
    public Task<QemuVm?> SetNicLinkAsync(string name, string id, QemuLinkState state, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct) =>
        LiveChangeAsync(name, whatIf, confirm, ct, (vm, nics, host, token) =>
        {
            FindNic(vm, nics, id);
            var up = state == QemuLinkState.Up;
            var wasUp = !vm.LinkDown.Contains(id);
            var target = $"VM '{vm.Name}'";
            IReadOnlyList<HostStep> steps =
            [
                new(target, $"Set the link of NIC {id} {(up ? "up" : "down")}",
                    new HostChange(Qmp(vm, "set_link", new JsonObject { ["name"] = id, ["up"] = up }),
                        Qmp(vm, "set_link", new JsonObject { ["name"] = id, ["up"] = wasUp }, ignoreFailure: true))),
                RecordStep(vm, vm with { LinkDown = up ? vm.LinkDown.Where(l => l != id).ToArray() : [.. vm.LinkDown.Where(l => l != id), id] },
                    nics, $"link of {id} {(up ? "up" : "down")}"),
            ];
            return Task.FromResult(steps);
        });

    /// <summary>Adds a user-mode host forward to a running guest (HMP hostfwd_add) after the checks a start makes; records it.</summary>
    public async Task<(QemuVm? Vm, QemuVmHostForward? Forward)> AddHostForwardAsync(string name, string? nicId, QemuHostForward forward,
        Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        QemuVmHostForward? result = null;
        var vm = await LiveChangeAsync(name, whatIf, confirm, ct, async (vm, nics, host, token) =>
        {
            var nic = FindUserNic(vm, nics, nicId);
            var user = (QemuUserNet)nic.Backend!;
            // The checks of New-QemuUserNet (guest address inside the subnet, no duplicate) and of a start (across NICs, other VMs, the host).
            var grown = QemuUserNet.Create(user.Id, user.Restrict, user.Subnet, user.DhcpStart, user.Dns, user.HostName, user.DomainName, [.. user.HostForward, forward]);
            var changed = nics.Select(n => n.Id == nic.Id ? n with { Backend = grown } : n).ToArray();
            QemuLaunchPlanner.Resolve((vm.Spec ?? new QemuLaunchSpec { Name = vm.Name }) with { Name = vm.Name, Nics = changed, NoNetwork = false });
            await CheckForwardsAsync(vm.Name, [forward], vm.NetworkNamespace, token).ConfigureAwait(false);
            result = new QemuVmHostForward { VmName = vm.Name, NicId = nic.Id!, NetdevId = user.Id!, Forward = forward, Active = true };
            IReadOnlyList<HostStep> steps =
            [
                new($"VM '{vm.Name}'", $"Forward host port {forward.HostAddress}:{forward.HostPort}/{forward.Protocol} to the guest's port {forward.GuestPort} (NIC {nic.Id})",
                    new HostChange(Hmp(vm, $"hostfwd_add {user.Id} {forward.ToQemuString()}"), Hmp(vm, HostForwardRemoval(user.Id!, forward), ignoreFailure: true))),
                RecordStep(vm, vm, changed, $"host forward {forward} added"),
            ];
            return steps;
        }).ConfigureAwait(false);
        return (vm, result);
    }

    /// <summary>Removes a user-mode host forward from a running guest (HMP hostfwd_remove) and from its record.</summary>
    public async Task<(QemuVm? Vm, QemuVmHostForward? Forward)> RemoveHostForwardAsync(string name, string? nicId, QemuForwardProtocol protocol, string? hostAddress, int hostPort,
        Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        QemuVmHostForward? result = null;
        var vm = await LiveChangeAsync(name, whatIf, confirm, ct, (vm, nics, host, token) =>
        {
            var candidates = nics.Where(n => n.Backend is QemuUserNet && (nicId is null || n.Id == nicId))
                .SelectMany(n => ((QemuUserNet)n.Backend!).HostForward.Select(f => (Nic: n, Forward: f)))
                .Where(x => x.Forward.Protocol == protocol && x.Forward.HostPort == hostPort && (hostAddress is null || x.Forward.HostAddress == hostAddress))
                .ToList();
            if (candidates.Count != 1)
            {
                throw new QemuNetException(candidates.Count == 0 ? "VmHostForwardNotFound" : "VmHostForwardAmbiguous",
                    candidates.Count == 0 ? QemuNetErrorCategory.ObjectNotFound : QemuNetErrorCategory.InvalidArgument, hostPort,
                    candidates.Count == 0
                        ? $"VM '{vm.Name}' has no {protocol} host forward of port {hostPort}{(hostAddress is null ? string.Empty : " on " + hostAddress)}{(nicId is null ? string.Empty : " on NIC " + nicId)}."
                        : $"VM '{vm.Name}' forwards {protocol} port {hostPort} on several addresses or NICs ({string.Join(", ", candidates.Select(c => c.Nic.Id + ": " + c.Forward))}).",
                    candidates.Count == 0 ? $"List its forwards with Get-QemuVmHostForward -VmName {vm.Name}." : "Name the forward with -HostAddress or -Id.");
            }

            var (nic, forward) = candidates[0];
            var user = (QemuUserNet)nic.Backend!;
            var shrunk = user with { HostForward = new QemuHostForwardList(user.HostForward.Where(f => !ReferenceEquals(f, forward)).ToArray()) };
            result = new QemuVmHostForward { VmName = vm.Name, NicId = nic.Id!, NetdevId = user.Id!, Forward = forward, Active = false };
            IReadOnlyList<HostStep> steps =
            [
                new($"VM '{vm.Name}'", $"Stop forwarding host port {forward.HostAddress}:{forward.HostPort}/{forward.Protocol} (NIC {nic.Id})",
                    new HostChange(Hmp(vm, HostForwardRemoval(user.Id!, forward)), Hmp(vm, $"hostfwd_add {user.Id} {forward.ToQemuString()}", ignoreFailure: true))),
                RecordStep(vm, vm, nics.Select(n => n.Id == nic.Id ? n with { Backend = shrunk } : n).ToArray(), $"host forward {forward} removed"),
            ];
            return Task.FromResult(steps);
        }).ConfigureAwait(false);
        return (vm, result);
    }

    /// <summary>The guest's host forwards from its record, each marked Active when QEMU has it (HMP info usernet).</summary>
    public async Task<IReadOnlyList<QemuVmHostForward>> GetHostForwardsAsync(QemuVm vm, CancellationToken ct)
    {
        var nics = PinBackendIds(vm.Nics);
        HashSet<string>? live = null;
        if (vm.State == QemuVmState.Running && nics.Any(n => n.Backend is QemuUserNet))
        {
            await using var qmp = await QmpClient.ConnectAsync(vm.QmpSocket, vm.Name, ct).ConfigureAwait(false);
            live = ParseUserNet(await qmp.HumanAsync("info usernet", null, ct).ConfigureAwait(false));
        }

        return nics.Where(n => n.Backend is QemuUserNet)
            .SelectMany(n => ((QemuUserNet)n.Backend!).HostForward.Select(f => new QemuVmHostForward
            {
                VmName = vm.Name,
                NicId = n.Id!,
                NetdevId = n.Backend!.Id!,
                Forward = f,
                Active = live?.Contains(UserNetKey(n.Backend!.Id!, f.Protocol.ToString(), f.HostAddress, f.HostPort)),
            }))
            .ToArray();
    }

    /// <summary>Starts a pcap capture of NIC <paramref name="nicId"/> (a filter-dump object on its netdev) and records it.</summary>
    /// <remarks>With <paramref name="mirror"/>: a filter-mirror through a chardev to <paramref name="path"/> (a listening unix socket, else a file of frames).</remarks>
    public async Task<(QemuVm? Vm, QemuNetCapture? Capture)> StartCaptureAsync(string name, string nicId, string path, QemuCaptureDirection direction, string? id,
        bool mirror, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        QemuNetCapture? capture = null;
        var vm = await LiveChangeAsync(name, whatIf, confirm, ct, (vm, nics, host, token) =>
        {
            var nic = FindNic(vm, nics, nicId);
            var captureId = id is null ? FreeId("cap", vm.Captures.Select(c => c.Id)) : QemuId.Check(id, "CaptureIdInvalid");
            if (vm.Captures.Any(c => c.Id == captureId))
            {
                throw new QemuNetException("CaptureIdDuplicate", QemuNetErrorCategory.ResourceExists, captureId,
                    $"VM '{vm.Name}' already has a capture '{captureId}'.", "Give -Id another name, or leave it out.");
            }

            if (vm.Captures.FirstOrDefault(c => c.Path == path) is { } same)
            {
                throw new QemuNetException("CapturePathInUse", QemuNetErrorCategory.ResourceExists, path,
                    $"The capture '{same.Id}' of VM '{vm.Name}' already writes {path}.", "Give -Path another file.");
            }

            capture = new QemuNetCapture
            {
                VmName = vm.Name, Id = captureId, NicId = nic.Id!, NetdevId = nic.Backend!.Id!, Path = path, Direction = direction, StartTime = DateTimeOffset.Now,
                Mirror = mirror, ChardevId = mirror ? "qemunet-" + captureId : null,
            };
            var arguments = new JsonObject { ["qom-type"] = mirror ? "filter-mirror" : "filter-dump", ["id"] = captureId, ["netdev"] = capture.NetdevId, ["queue"] = capture.QemuQueue };
            var steps = new List<HostStep>();
            if (mirror)
            {
                // A unix socket someone listens on gets the frames as a stream; anything else is a file of them.
                var socket = NativeMethods.LStat(path) is { IsSocket: true };
                var backend = socket
                    ? new JsonObject { ["type"] = "socket", ["data"] = new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = path } }, ["server"] = false } }
                    : new JsonObject { ["type"] = "file", ["data"] = new JsonObject { ["out"] = path } };
                steps.Add(new HostStep($"VM '{vm.Name}'", $"Open {path} for mirrored packets ({(socket ? "unix socket" : "file")})",
                    new HostChange(Qmp(vm, "chardev-add", new JsonObject { ["id"] = capture.ChardevId, ["backend"] = backend }),
                        Qmp(vm, "chardev-remove", new JsonObject { ["id"] = capture.ChardevId }, ignoreFailure: true))));
                arguments["outdev"] = capture.ChardevId;
            }
            else
            {
                arguments["file"] = path;
            }

            steps.Add(new HostStep($"VM '{vm.Name}'", $"{(mirror ? "Mirror" : "Capture")} {direction} packets of NIC {nic.Id} to {path}",
                new HostChange(Qmp(vm, "object-add", arguments), Qmp(vm, "object-del", new JsonObject { ["id"] = captureId }, ignoreFailure: true))));
            steps.Add(RecordStep(vm, vm with { Captures = [.. vm.Captures, capture] }, nics, $"capture {captureId} started"));
            return Task.FromResult<IReadOnlyList<HostStep>>(steps);
        }).ConfigureAwait(false);
        return (vm, capture?.Count());
    }

    /// <summary>Stops a capture (object-del) and forgets it; returns it with the packets and bytes its file holds.</summary>
    public async Task<QemuNetCapture?> StopCaptureAsync(string name, string id, Func<HostStep, bool> confirm, bool whatIf, CancellationToken ct)
    {
        QemuNetCapture? capture = null;
        var vm = await ChangeAsync(name, whatIf, confirm, ct, (vm, host, token) =>
        {
            capture = vm.Captures.FirstOrDefault(c => c.Id == id) ?? throw new QemuNetException("CaptureNotFound", QemuNetErrorCategory.ObjectNotFound, id,
                $"VM '{vm.Name}' has no capture '{id}'.", $"List its captures with Get-QemuNetCapture -VmName {vm.Name}.");
            var steps = new List<HostStep>();
            if (vm.State == QemuVmState.Running)
            {
                // Not undone: adding the filter again would truncate the file this capture wrote.
                List<HostChange> changes = [new HostChange(Qmp(vm, "object-del", new JsonObject { ["id"] = id }))];
                if (capture.ChardevId is { } chardev)
                {
                    changes.Add(new HostChange(Qmp(vm, "chardev-remove", new JsonObject { ["id"] = chardev })));
                }

                steps.Add(new HostStep($"VM '{vm.Name}'", $"Stop capturing NIC {capture.NicId} to {capture.Path}", changes));
            }

            steps.Add(RecordStep(vm, vm with { Captures = vm.Captures.Where(c => c.Id != id).ToArray() }, PinBackendIds(vm.Nics), $"capture {id} stopped"));
            return Task.FromResult<IReadOnlyList<HostStep>>(steps);
        }).ConfigureAwait(false);
        if (vm is null || capture is null)
        {
            return null;
        }

        capture.StopTime = DateTimeOffset.Now;
        return capture.Count();
    }

    /// <summary>The NICs of a running guest as QEMU has them (qom, HMP info network, query-rx-filter), beside its record.</summary>
    public async Task<IReadOnlyList<QemuVmNicStatus>> GetNicStatusAsync(QemuVm vm, CancellationToken ct)
    {
        RequireRunning(vm);
        var nics = PinBackendIds(vm.Nics);
        await using var qmp = await QmpClient.ConnectAsync(vm.QmpSocket, vm.Name, ct).ConfigureAwait(false);
        var peripherals = await QmpActions.PeripheralsAsync(qmp, ct).ConfigureAwait(false);
        var network = ParseInfoNetwork(await qmp.HumanAsync("info network", null, ct).ConfigureAwait(false));
        var live = new List<(string Id, string Device)>();
        foreach (var child in peripherals)
        {
            var type = child["type"]?.GetValue<string>() ?? string.Empty;
            var childName = child["name"]?.GetValue<string>() ?? string.Empty;
            if (type.StartsWith("child<", StringComparison.Ordinal) && network.Nics.ContainsKey(childName))
            {
                live.Add((childName, type[6..^1]));
            }
        }

        var result = new List<QemuVmNicStatus>();
        foreach (var id in nics.Select(n => n.Id!).Union(live.Select(l => l.Id), StringComparer.Ordinal))
        {
            var recorded = nics.FirstOrDefault(n => n.Id == id);
            var inQemu = live.FirstOrDefault(l => l.Id == id) is { Device: not null } l ? l.Device : null;
            string? mac = null, netdev = null;
            JsonObject? filter = null;
            if (inQemu is not null)
            {
                var path = "/machine/peripheral/" + id;
                mac = (await qmp.ExecuteAsync("qom-get", new JsonObject { ["path"] = path, ["property"] = "mac" }, ct).ConfigureAwait(false))?.GetValue<string>();
                netdev = (await qmp.ExecuteAsync("qom-get", new JsonObject { ["path"] = path, ["property"] = "netdev" }, ct).ConfigureAwait(false))?.GetValue<string>();
                try
                {
                    filter = (await qmp.ExecuteAsync("query-rx-filter", new JsonObject { ["name"] = id }, ct).ConfigureAwait(false) as JsonArray)?.FirstOrDefault() as JsonObject;
                }
                catch (QmpCommandException)
                {
                    // e1000 and others: "… doesn't support rx-filter querying".
                }
            }

            var drift = new List<string>();
            if (recorded is null)
            {
                drift.Add("in QEMU, not in the record");
            }
            else if (inQemu is null)
            {
                drift.Add("in the record, not in QEMU");
            }
            else
            {
                if (!string.Equals(mac, recorded.MacAddress, StringComparison.OrdinalIgnoreCase))
                {
                    drift.Add($"MAC {mac} in QEMU, {recorded.MacAddress} in the record");
                }

                if (inQemu != recorded.Device)
                {
                    drift.Add($"device {inQemu} in QEMU, {recorded.Device} in the record");
                }

                // A NIC on a hub (the classic vlan=n) is joined to its hub port, "<netdev>-nic".
                if (netdev != recorded.Backend?.Id && !(recorded.Backend is { Hub: not null, Id: { } hubbed } && netdev?.StartsWith(hubbed + "-nic", StringComparison.Ordinal) == true))
                {
                    drift.Add($"backend {netdev} in QEMU, {recorded.Backend?.Id} in the record");
                }
            }

            var backendId = netdev ?? recorded?.Backend?.Id;
            result.Add(new QemuVmNicStatus
            {
                VmName = vm.Name,
                Id = id,
                Device = inQemu ?? recorded?.Device,
                MacAddress = mac ?? recorded?.MacAddress,
                NetdevId = backendId,
                Backend = backendId is not null && network.Netdevs.TryGetValue(backendId, out var info) ? info : recorded?.Backend?.ToString(),
                LinkState = vm.LinkDown.Contains(id) ? QemuLinkState.Down : QemuLinkState.Up,
                InRecord = recorded is not null,
                InQemu = inQemu is not null,
                Drift = drift.Count == 0 ? null : string.Join("; ", drift),
                Promiscuous = filter?["promiscuous"]?.GetValue<bool>(),
                Unicast = filter?["unicast"]?.GetValue<string>(),
                Multicast = filter?["multicast"]?.GetValue<string>(),
                BroadcastAllowed = filter?["broadcast-allowed"]?.GetValue<bool>(),
                MulticastTable = filter?["multicast-table"] is JsonArray table ? table.Select(t => t!.GetValue<string>()).ToArray() : null,
            });
        }

        return result;
    }

    /// <summary>Sends RARP and gratuitous ARP for the guest's NICs (announce-self), so switches learn where it is.</summary>
    public async Task AnnounceAsync(QemuVm vm, IReadOnlyList<string> nicIds, int rounds, CancellationToken ct)
    {
        RequireRunning(vm);
        foreach (var id in nicIds)
        {
            FindNic(vm, PinBackendIds(vm.Nics), id);
        }

        await using var qmp = await QmpClient.ConnectAsync(vm.QmpSocket, vm.Name, ct).ConfigureAwait(false);
        try
        {
            await qmp.ExecuteAsync("announce-self", AnnounceArguments(nicIds, rounds), ct).ConfigureAwait(false);
        }
        catch (QmpCommandException ex)
        {
            throw QmpActions.Map(ex);
        }
    }

    /// <summary>announce-self's arguments (QEMU's default timing: first after 50 ms, then 100 ms more each round, at most 550 ms apart).</summary>
    public static JsonObject AnnounceArguments(IReadOnlyList<string> nicIds, int rounds)
    {
        var arguments = new JsonObject { ["initial"] = 50, ["max"] = 550, ["rounds"] = rounds, ["step"] = 100 };
        if (nicIds.Count > 0)
        {
            arguments["interfaces"] = new JsonArray(nicIds.Select(i => (JsonNode)JsonValue.Create(i)).ToArray());
        }

        return arguments;
    }

    private Task<QemuVm?> LiveChangeAsync(string name, bool whatIf, Func<HostStep, bool> confirm, CancellationToken ct,
        Func<QemuVm, IReadOnlyList<QemuNic>, HostContext, CancellationToken, Task<IReadOnlyList<HostStep>>> plan) =>
        ChangeAsync(name, whatIf, confirm, ct, (vm, host, token) =>
        {
            RequireRunning(vm);
            return plan(vm, PinBackendIds(vm.Nics), host, token);
        });

    private static void RequireRunning(QemuVm vm)
    {
        if (vm.State != QemuVmState.Running)
        {
            throw new QemuNetException("VmNotRunning", QemuNetErrorCategory.ResourceUnavailable, vm.Name,
                $"VM '{vm.Name}' is not running ({vm.State}); its network can be changed only while it runs.",
                $"Start it first (Start-QemuVm -Name {vm.Name}).");
        }
    }

    /// <summary>
    /// The NICs with every backend id spelled out (a start names an unnamed backend net0, net1, … by position), so
    /// ids stay right once a NIC is removed from the middle.
    /// </summary>
    /// <summary>Hub backends got their ids when the spec was resolved; a NIC's own backend gets the one the start gave it.</summary>
    private static IReadOnlyList<QemuNic> PinBackendIds(IReadOnlyList<QemuNic> nics) =>
        nics.Select((n, i) => n.Backend is { Id: not null } ? n : n with { Backend = (n.Backend ?? new QemuUserNet()) with { Id = $"net{i}" } }).ToArray();

    private static QemuNic FindNic(QemuVm vm, IReadOnlyList<QemuNic> nics, string id) =>
        nics.FirstOrDefault(n => n.Id == id) ?? throw new QemuNetException("VmNicNotFound", QemuNetErrorCategory.ObjectNotFound, id,
            $"VM '{vm.Name}' has no NIC '{id}' (its NICs: {string.Join(", ", nics.Select(n => n.Id))}).",
            $"List its NICs with Get-QemuVmNic -VmName {vm.Name}.");

    private static QemuNic FindUserNic(QemuVm vm, IReadOnlyList<QemuNic> nics, string? id)
    {
        if (id is not null)
        {
            var nic = FindNic(vm, nics, id);
            return nic.Backend is QemuUserNet ? nic : throw new QemuNetException("VmNicNotUserMode", QemuNetErrorCategory.InvalidArgument, id,
                $"NIC {id} of VM '{vm.Name}' is on {nic.Backend}, not user-mode networking; host forwards are a user-mode feature.",
                "For a NAT network, use Add-QemuPortForward; or name a user-mode NIC with -Id.");
        }

        var users = nics.Where(n => n.Backend is QemuUserNet).ToList();
        return users.Count switch
        {
            1 => users[0],
            0 => throw new QemuNetException("VmNicNotUserMode", QemuNetErrorCategory.InvalidArgument, vm.Name,
                $"VM '{vm.Name}' has no user-mode NIC; host forwards are a user-mode feature.",
                "For a NAT network, use Add-QemuPortForward; or hot-plug a user-mode NIC with Add-QemuVmNic."),
            _ => throw new QemuNetException("VmNicAmbiguous", QemuNetErrorCategory.InvalidArgument, vm.Name,
                $"VM '{vm.Name}' has several user-mode NICs ({string.Join(", ", users.Select(n => n.Id))}).", "Name one with -Id."),
        };
    }

    /// <summary>The new NIC with its id, MAC, backend id and TAP name filled in, checked against the VM's other NICs and the host.</summary>
    private async Task<(QemuNic Nic, IReadOnlyList<HostStep> TapSteps, IReadOnlyList<string> Created)> ResolveHotPlugAsync(QemuVm vm, IReadOnlyList<QemuNic> nics,
        QemuNic nic, HostContext host, CancellationToken ct)
    {
        var models = (await QemuCapabilities.ProbeAsync(_runner, vm.QemuPath, ct).ConfigureAwait(false)).NicModels;
        if (models.FirstOrDefault(m => m.Device == nic.Device) is { Bus: { } bus } && !bus.Equals("PCI", StringComparison.OrdinalIgnoreCase))
        {
            throw new QemuNetException("VmNicNotHotpluggable", QemuNetErrorCategory.InvalidOperation, nic.Model,
                $"A {nic.Model} NIC sits on the {bus} bus, which cannot take a device while the guest runs.",
                "Hot-plug a PCI model (virtio, e1000, rtl8139, …); give an ISA NIC to Start-QemuVm instead.");
        }

        var backend = nic.Backend ?? new QemuUserNet();
        if (backend is QemuTapNet { Fd: not null } or { Hub: not null } or QemuSocketNet)
        {
            throw new QemuNetException("VmNicBackendNotHotpluggable", QemuNetErrorCategory.InvalidOperation, backend,
                "A TAP given by descriptor (-Fd), a socket backend or a backend on a hub (-Hub) cannot be hot-plugged by QemuNet.",
                "Use a TAP on a -Bridge or a NAT network, a -Helper or -Script TAP, or user-mode networking.");
        }

        if (backend is QemuTapNet { NetworkNamespace: { } tapNs } && tapNs != vm.NetworkNamespace)
        {
            throw new QemuNetException("VmNicNamespaceMismatch", QemuNetErrorCategory.InvalidArgument, tapNs,
                $"The TAP's bridge is in network namespace {tapNs}, VM '{vm.Name}' runs in {vm.NetworkNamespace ?? "the host's namespace"}.",
                "Hot-plug a TAP on a bridge of the VM's own namespace.");
        }

        // A free number k names the NIC nic<k>, its backend net<k>, its MAC and TAP: positions shift once NICs are removed.
        var ids = nics.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var netdevs = nics.Select(n => n.Backend!.Id).ToHashSet(StringComparer.Ordinal);
        var macs = nics.Select(n => n.MacAddress).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var tapNames = nics.Select(n => (n.Backend as QemuTapNet)?.IfName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var k = nics.Count;
        while (ids.Contains($"nic{k}") || netdevs.Contains($"net{k}") || macs.Contains(MacAddress.Derive(vm.Name, k)) || tapNames.Contains(QemuTapNet.DeriveIfName(vm.Name, k)))
        {
            k++;
        }

        backend = backend.Id is null ? backend with { Id = $"net{k}" } : backend;
        if (backend is QemuTapNet { IfName: null, Helper: null } unnamed)
        {
            backend = unnamed with { IfName = QemuTapNet.DeriveIfName(vm.Name, k) };
        }

        var candidate = nic with { Id = nic.Id ?? $"nic{k}", MacAddress = nic.MacAddress ?? MacAddress.Derive(vm.Name, k), Backend = backend };
        // The checks of a start, over the NICs the guest will then have: ids, MACs, PCI addresses, backend ids, forwards.
        QemuLaunchPlanner.Resolve((vm.Spec ?? new QemuLaunchSpec { Name = vm.Name }) with { Name = vm.Name, Nics = [.. nics, candidate], NoNetwork = false });

        foreach (var warning in QemuLaunchChecks.QueueWarnings([candidate], vm.Spec?.CpuCount ?? 1))
        {
            Warn(warning);
        }

        var alone = new QemuLaunchSpec { Name = vm.Name, Nics = [candidate] };
        if (backend is QemuTapNet)
        {
            alone = await TapPreflight.CheckAsync(alone, host, BridgeAcl.DefaultPath, launching: true, [], ct).ConfigureAwait(false);
            candidate = alone.Nics[0];
        }

        if (backend is QemuUserNet { HostForward.Count: > 0 } user)
        {
            await CheckForwardsAsync(vm.Name, user.HostForward, vm.NetworkNamespace, ct).ConfigureAwait(false);
        }

        var links = new Dictionary<string, LinkState?>(StringComparer.Ordinal);
        foreach (var tap in ModuleTaps(alone))
        {
            links[tap.IfName!] = await HostLinks.GetAsync(host, tap.IfName!, ct).ConfigureAwait(false);
        }

        var (steps, created) = PlanTaps(alone, links, TapOwner, vm.NetworkNamespace is null ? string.Empty : $" in namespace {vm.NetworkNamespace}");
        return (candidate, steps, created);
    }

    /// <summary>The last step of a live change: the record with the NICs as they now are (also in the spec, so a restart brings them back).</summary>
    private static HostStep RecordStep(QemuVm before, QemuVm after, IReadOnlyList<QemuNic> nics, string summary)
    {
        var updated = after with { Nics = nics, Spec = after.Spec is null ? null : after.Spec with { Nics = nics } };
        var paths = before.Paths;
        return new HostStep($"VM '{before.Name}'", "Write the VM record",
            new HostChange(new WriteFile(paths.RecordFile, JsonSerializer.Serialize(updated, Json), Summary: summary),
                new WriteFile(paths.RecordFile, JsonSerializer.Serialize(before, Json), Summary: "the earlier record")));
    }

    private static QmpCommand Qmp(QemuVm vm, string command, JsonObject arguments, bool ignoreFailure = false) =>
        new(vm.Name, vm.QmpSocket, command, arguments.ToJsonString(), ignoreFailure);

    /// <summary>An HMP command; hostfwd_remove confirms with "host forwarding rule for … removed", hostfwd_add prints nothing.</summary>
    private static QmpCommand Hmp(QemuVm vm, string commandLine, bool ignoreFailure = false) =>
        Qmp(vm, "human-monitor-command", new JsonObject { ["command-line"] = commandLine }, ignoreFailure)
            with { HmpSuccess = commandLine.StartsWith("hostfwd_remove ", StringComparison.Ordinal) ? "^host forwarding rule for \\S+ removed$" : null };

    /// <summary>hostfwd_remove names a forward by protocol, host address and host port.</summary>
    private static string HostForwardRemoval(string netdevId, QemuHostForward forward) =>
        string.Create(CultureInfo.InvariantCulture, $"hostfwd_remove {netdevId} {forward.Protocol.ToString().ToLowerInvariant()}:{forward.HostAddress}:{forward.HostPort}");

    /// <summary>
    /// How the module makes a TAP: `ip tuntap add` (owned by the user QEMU runs as, multi_queue and vnet_hdr as
    /// asked), its alias, its bridge, up.
    /// </summary>
    /// <param name="bridgeMtu">The bridge's MTU when it is not Ethernet's 1500: the TAP takes it, or it would drop the bridge's larger frames.</param>
    private static RunProgram[] TapMaking(string ifName, QemuTapNet tap, string bridge, string alias, uint owner, int? bridgeMtu = null) =>
    [
        new("ip", TapAddArguments(ifName, tap, owner)),
        new("ip", ["link", "set", "dev", ifName, "alias", alias]),
        .. bridgeMtu is { } mtu and not 1500 ? [new RunProgram("ip", ["link", "set", "dev", ifName, "mtu", mtu.ToString(CultureInfo.InvariantCulture)])] : Array.Empty<RunProgram>(),
        new("ip", ["link", "set", "dev", ifName, "master", bridge]),
        new("ip", ["link", "set", "dev", ifName, "up"]),
    ];

    private static List<string> TapAddArguments(string ifName, QemuTapNet tap, uint owner)
    {
        List<string> add = ["tuntap", "add", "dev", ifName, "mode", "tap", "user", owner.ToString(CultureInfo.InvariantCulture)];
        if (tap.Queues > 1)
        {
            add.Add("multi_queue");
        }

        if (tap.VnetHdr == true)
        {
            add.Add("vnet_hdr");
        }

        return add;
    }

    private static string FreeId(string prefix, IEnumerable<string> taken)
    {
        var used = taken.ToHashSet(StringComparer.Ordinal);
        var k = 0;
        while (used.Contains(prefix + k.ToString(CultureInfo.InvariantCulture)))
        {
            k++;
        }

        return prefix + k.ToString(CultureInfo.InvariantCulture);
    }

    private static string UserNetKey(string netdev, string protocol, string hostAddress, int hostPort) =>
        string.Create(CultureInfo.InvariantCulture, $"{netdev}|{protocol.ToUpperInvariant()}|{hostAddress}|{hostPort}");

    /// <summary>HMP info usernet: "Hub -1 (net1):" then rows "TCP[HOST_FORWARD]  fd  srcaddr  srcport  dstaddr  dstport …".</summary>
    public static HashSet<string> ParseUserNet(string text)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        string? netdev = null;
        foreach (var line in text.Split('\n'))
        {
            if (UserNetHub().Match(line) is { Success: true } hub)
            {
                netdev = hub.Groups[1].Value;
            }
            else if (netdev is not null && UserNetForward().Match(line) is { Success: true } row)
            {
                // A forward bound to every address (0.0.0.0) shows its source as "*".
                var address = row.Groups[2].Value == "*" ? "0.0.0.0" : row.Groups[2].Value;
                result.Add(UserNetKey(netdev, row.Groups[1].Value, address, int.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture)));
            }
        }

        return result;
    }

    /// <summary>HMP info network: NIC lines at the left ("nic0: index=0,type=nic,model=…"), their netdevs indented ("\ net0: …").</summary>
    public static (Dictionary<string, string> Nics, Dictionary<string, string> Netdevs) ParseInfoNetwork(string text)
    {
        var nics = new Dictionary<string, string>(StringComparer.Ordinal);
        var netdevs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (InfoNetworkLine().Match(line) is not { Success: true } m)
            {
                continue;
            }

            var (name, type, rest) = (m.Groups["name"].Value, m.Groups["type"].Value, m.Groups["rest"].Value.TrimEnd('\r'));
            if (type == "nic")
            {
                nics[name] = rest;
            }
            else
            {
                netdevs[name] = type + (rest.Length > 0 ? "," + rest : string.Empty);
            }
        }

        return (nics, netdevs);
    }

    [GeneratedRegex(@"^Hub -?\d+ \((?<id>[^)]+)\):", RegexOptions.CultureInvariant)]
    private static partial Regex UserNetHub();

    [GeneratedRegex(@"^\s+(TCP|UDP)\[HOST_FORWARD\]\s+\d+\s+(\S+)\s+(\d+)\s", RegexOptions.CultureInvariant)]
    private static partial Regex UserNetForward();

    [GeneratedRegex(@"^[\s\\]*(?<name>[A-Za-z0-9_.-]+): index=\d+,type=(?<type>[a-z-]+),?(?<rest>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex InfoNetworkLine();
}
