using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;
using System.Globalization;
using System.Text.Json;
using QemuNet.Core.Bridge;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Host;

public enum QemuHostCheckStatus
{
    Ok,

    /// <summary>Works, but with a cost or a trap worth knowing.</summary>
    Warning,

    /// <summary>The modes named in <see cref="QemuHostCheck.Blocks"/> cannot work until it is fixed.</summary>
    Blocked,
}

[Flags]
public enum QemuNetMode
{
    None = 0,
    User = 1,
    Bridge = 2,
    Nat = 4,
}

/// <summary>One preflight finding of Test-QemuNetHost: what the host offers, and what it blocks.</summary>
public sealed class QemuHostCheck
{
    public required string Check { get; init; }

    public QemuHostCheckStatus Status { get; init; }

    /// <summary>What was found, e.g. a version or a path.</summary>
    public string? Value { get; init; }

    public string? Detail { get; init; }

    /// <summary>The network modes this finding stops (Blocked) or hampers (Warning).</summary>
    public QemuNetMode Blocks { get; init; }

    public string? Fix { get; init; }

    public override string ToString() => $"{Check}: {Status}";
}


/// <summary>Reads what the host offers the three network modes, as findings; changes nothing.</summary>
public static class HostProbe
{

    public static async Task<IReadOnlyList<QemuHostCheck>> RunAsync(HostContext host, string? qemuPath, CancellationToken ct)
    {
        var checks = new List<QemuHostCheck>();
        var root = Environment.IsPrivilegedProcess;
        checks.Add(root
            ? Ok("Root", "yes", "Every mode is available to this session.")
            : new QemuHostCheck
            {
                Check = "Root", Status = QemuHostCheckStatus.Warning, Value = "no", Blocks = QemuNetMode.Nat | QemuNetMode.Bridge,
                Detail = "User-mode networking works. NAT networks, bridges and module-made TAPs need root; a non-root guest can join an existing bridge through the bridge helper.",
                Fix = "Run as root (sudo pwsh), or use New-QemuTap -UseHelper after an admin ran Grant-QemuBridgeAccess.",
            });

        checks.Add(await QemuCheckAsync(host, qemuPath, ct).ConfigureAwait(false));
        checks.Add(Device("/dev/kvm", QemuHostCheckStatus.Warning, QemuNetMode.None, "Guests run with KVM.",
            "Guests fall back to TCG (software emulation, many times slower).", "Load kvm_intel/kvm_amd and add the user to group kvm."));
        checks.Add(Device("/dev/net/tun", QemuHostCheckStatus.Blocked, QemuNetMode.Bridge | QemuNetMode.Nat, "TAP devices can be made.",
            "No TAP devices: bridged and NAT guests cannot start.", "modprobe tun"));
        checks.Add(Device("/dev/vhost-net", QemuHostCheckStatus.Warning, QemuNetMode.None, "-Vhost Auto turns vhost-net on.",
            "-Vhost Auto falls back to off (QEMU moves packets in user space; slower); -Vhost On fails.", "modprobe vhost_net"));
        checks.Add(Tool("ip", "iproute2", QemuNetMode.Bridge | QemuNetMode.Nat));
        checks.Add(Tool("nft", "nftables", QemuNetMode.Nat));
        checks.Add(Tool("dnsmasq", "dnsmasq-base", QemuNetMode.Nat));
        checks.Add(await IptablesCheckAsync(host, ct).ConfigureAwait(false));

        var drops = ForwardDrops.Find(await NftSnapshot.TakeAsync(host, ct).ConfigureAwait(false));
        checks.Add(drops.Count == 0
            ? Ok("Forward drop policy", "none", "No other firewall table drops forwarded traffic by default.")
            : new QemuHostCheck
            {
                Check = "Forward drop policy", Status = QemuHostCheckStatus.Warning, Blocks = QemuNetMode.Nat,
                Value = string.Join(", ", drops.Select(d => $"{d.Family} {d.Table} {d.Chain}")),
                Detail = "Another table's forward chain has policy drop (Docker sets one): it drops NAT guests' traffic even though QemuNet's own table accepts it.",
                Fix = string.Join("; ", drops.Select(d => ForwardDrops.Fix(d, "qn-*", host.ExecNamespace))),
            });

        checks.Add(await BrNetfilterCheckAsync(host, drops.Count > 0, ct).ConfigureAwait(false));
        checks.Add(HelperCheck(root));
        checks.Add(await PortCheckAsync(host, ct).ConfigureAwait(false));
        if (await NatUplinkCheckAsync(host, ct).ConfigureAwait(false) is { } uplinks)
        {
            checks.Add(uplinks);
        }

        return checks;
    }

    private static async Task<QemuHostCheck> QemuCheckAsync(HostContext host, string? qemuPath, CancellationToken ct)
    {
        string path;
        try
        {
            path = QemuBinary.Resolve(qemuPath);
        }
        catch (QemuNetException ex)
        {
            return new QemuHostCheck
            {
                Check = "QEMU", Status = QemuHostCheckStatus.Blocked, Blocks = QemuNetMode.User | QemuNetMode.Bridge | QemuNetMode.Nat,
                Detail = ex.Message, Fix = "apt-get install qemu-system-x86 (Fedora: dnf install qemu-system-x86).",
            };
        }

        var version = await host.Runner.RunAsync(path, ["--version"], ct).ConfigureAwait(false);
        var first = version.StandardOutput.Split('\n')[0].Trim();
        return Ok("QEMU", path, first.Length > 0 ? first : "version unknown");
    }

    private static async Task<QemuHostCheck> IptablesCheckAsync(HostContext host, CancellationToken ct)
    {
        if (FindTool("iptables") is null)
        {
            return Ok("iptables backend", "not installed", "Only nftables is in use, which QemuNet reads and writes.");
        }

        var result = await host.RunAsync("iptables", ["-V"], ct, throwOnFailure: false).ConfigureAwait(false);
        var text = result.StandardOutput.Trim();
        return text.Contains("legacy", StringComparison.Ordinal)
            ? new QemuHostCheck
            {
                Check = "iptables backend", Status = QemuHostCheckStatus.Warning, Value = text, Blocks = QemuNetMode.Nat,
                Detail = "iptables-legacy rules are invisible to nftables: a legacy FORWARD DROP is not detected and still drops NAT guests' traffic.",
                Fix = "Switch to iptables-nft (update-alternatives --set iptables /usr/sbin/iptables-nft), or accept the bridge in the legacy FORWARD chain.",
            }
            : Ok("iptables backend", text, "iptables writes into nftables, where QemuNet sees its rules.");
    }

    private static async Task<QemuHostCheck> BrNetfilterCheckAsync(HostContext host, bool dropsPresent, CancellationToken ct)
    {
        const string Key = "net.bridge.bridge-nf-call-iptables";
        // Absent unless br_netfilter is loaded.
        var value = (await host.ReadFileAsync(HostContext.SysctlPath(Key), ct).ConfigureAwait(false))?.Trim();

        if (value is null or "0")
        {
            return Ok("br_netfilter", value is null ? "not loaded" : "off", "Bridged frames are not passed through the IP firewall.");
        }

        return new QemuHostCheck
        {
            Check = "br_netfilter", Status = dropsPresent ? QemuHostCheckStatus.Warning : QemuHostCheckStatus.Ok, Value = "on",
            Blocks = dropsPresent ? QemuNetMode.Bridge : QemuNetMode.None,
            Detail = "Frames crossing a bridge go through the forward hook of the IP firewall" + (dropsPresent ? ", where a drop policy (see above) drops bridged guests' traffic too." : "."),
            Fix = dropsPresent ? $"sysctl -w {Key}=0, or accept the bridge's traffic in that chain." : null,
        };
    }

    private static QemuHostCheck HelperCheck(bool root)
    {
        var helper = BridgeHelper.Find();
        if (helper is null)
        {
            return new QemuHostCheck
            {
                Check = "Bridge helper", Status = QemuHostCheckStatus.Warning, Value = "not installed", Blocks = root ? QemuNetMode.None : QemuNetMode.Bridge,
                Detail = $"qemu-bridge-helper was not found ({string.Join(", ", BridgeHelper.KnownPaths)}); non-root users cannot join bridges.",
                Fix = "Install qemu-system-common (Debian/Ubuntu) or qemu-common (Fedora).",
            };
        }

        var allowed = BridgeAcl.Read(BridgeAcl.DefaultPath).Where(r => r.Action == QemuBridgeAclAction.Allow).Select(r => r.Value).ToArray();
        var acl = allowed.Length == 0 ? $"{BridgeAcl.DefaultPath} allows no bridge" : $"{BridgeAcl.DefaultPath} allows {string.Join(", ", allowed)}";
        if (helper.ProblemForUsers is not null)
        {
            return new QemuHostCheck
            {
                Check = "Bridge helper", Status = QemuHostCheckStatus.Warning, Value = helper.Path, Blocks = root ? QemuNetMode.None : QemuNetMode.Bridge,
                Detail = $"Neither setuid root nor CAP_NET_ADMIN: only root can use it. {acl}.",
                Fix = BridgeHelper.GrantCommand(helper.Path),
            };
        }

        return new QemuHostCheck
        {
            Check = "Bridge helper", Status = allowed.Length == 0 ? QemuHostCheckStatus.Warning : QemuHostCheckStatus.Ok, Value = helper.Path,
            Detail = $"{(helper.SetUidRoot ? "setuid root" : "CAP_NET_ADMIN")}; {acl}.",
            Fix = allowed.Length == 0 ? "Grant-QemuBridgeAccess -Bridge <bridge>" : null,
        };
    }

    /// <summary>
    /// The uplinks of this namespace's NAT networks: one that is gone, or that became a bridge port since the network
    /// was enabled, leaves its guests without the outside. Null when no network names an uplink.
    /// </summary>
    private static async Task<QemuHostCheck?> NatUplinkCheckAsync(HostContext host, CancellationToken ct)
    {
        List<QemuNatNetwork> networks;
        try
        {
            networks = StateStore.OpenExisting(StateDirectory.Resolve()) is { } store
                ? new NatManager(host, store).ListRecords().Networks.Where(n => n.Uplink is not null).ToList()
                : [];
        }
        catch (QemuNetException)
        {
            // An unsafe or unreadable state directory is reported by the commands that use it.
            return null;
        }

        if (networks.Count == 0)
        {
            return null;
        }

        var problems = new List<string>();
        foreach (var net in networks)
        {
            var link = await HostLinks.GetAsync(host, net.Uplink!, ct).ConfigureAwait(false);
            if (link is null)
            {
                problems.Add($"'{net.Name}': uplink {net.Uplink} is missing");
            }
            else if (link.Master != net.UplinkBridge)
            {
                problems.Add(link.Master is null ? $"'{net.Name}': uplink {net.Uplink} left bridge {net.UplinkBridge}" : $"'{net.Name}': uplink {net.Uplink} is a port of bridge {link.Master}");
            }
        }

        return problems.Count == 0
            ? Ok("NAT uplinks", string.Join(", ", networks.Select(n => $"{n.Name}: {n.Uplink}")), "Every NAT network's uplink is there, as it was when the network was enabled.")
            : new QemuHostCheck
            {
                Check = "NAT uplinks", Status = QemuHostCheckStatus.Warning, Blocks = QemuNetMode.Nat, Value = string.Join("; ", problems),
                Detail = "The masquerade of these networks does not match the way out any more: their guests cannot reach the outside.",
                Fix = "Run Enable-QemuNat again with the network's settings (it follows an uplink that became a bridge port), or give it an existing -Uplink after Disable-QemuNat.",
            };
    }

    /// <summary>Sockets on :53 or :67 (from /proc/net of the namespace): dnsmasq binds per interface and coexists, but it is worth knowing.</summary>
    private static async Task<QemuHostCheck> PortCheckAsync(HostContext host, CancellationToken ct)
    {
        var found = (await HostSockets.ListAsync(host, ct).ConfigureAwait(false))
            .Where(b => b.Port is 53 or 67).Select(b => $"{b.Protocol}/{b.Port}").ToList();

        return found.Count == 0
            ? Ok("Ports 53 and 67", "free", "Nothing listens for DNS or DHCP.")
            : new QemuHostCheck
            {
                Check = "Ports 53 and 67", Status = QemuHostCheckStatus.Warning, Value = string.Join(", ", found.Distinct()),
                Detail = "Something already serves DNS or DHCP. QemuNet's dnsmasq binds only its bridge (bind-dynamic), so it coexists with servers bound to other addresses; one bound to the wildcard address without sharing makes Enable-QemuNat fail to start dnsmasq.",
                Fix = "Enable-QemuNat -Dns Off avoids port 53; find the other server with 'ss -lunp'.",
            };
    }

    private static QemuHostCheck Device(string path, QemuHostCheckStatus missing, QemuNetMode blocks, string ok, string detail, string fix) =>
        HostDevice.CanOpen(path)
            ? Ok(path, "usable", ok)
            : new QemuHostCheck { Check = path, Status = missing, Value = File.Exists(path) ? "no access" : "missing", Blocks = blocks, Detail = detail, Fix = fix };

    private static QemuHostCheck Tool(string name, string package, QemuNetMode blocks) =>
        FindTool(name) is { } path
            ? Ok(name, path, "Installed.")
            : new QemuHostCheck { Check = name, Status = QemuHostCheckStatus.Blocked, Value = "not installed", Blocks = blocks, Detail = $"{name} is needed by the modes named in Blocks.", Fix = $"apt-get install {package}" };

    private static QemuHostCheck Ok(string check, string? value, string detail) => new() { Check = check, Status = QemuHostCheckStatus.Ok, Value = value, Detail = detail };

    private static string? FindTool(string name) => ProgramPath.Find(name, ProgramPath.SystemDirectories);
}
