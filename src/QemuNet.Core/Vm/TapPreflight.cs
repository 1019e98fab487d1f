using QemuNet.Core.Engine;
using QemuNet.Core.Bridge;
using QemuNet.Core.Model;

namespace QemuNet.Core.Vm;

/// <summary>
/// Checks a resolved spec's TAPs against the host before QEMU runs, so a missing bridge, script or helper
/// permission is a clear error instead of a terse QEMU exit; and decides -Vhost Auto.
/// </summary>
public static class TapPreflight
{
    public const string VhostDevice = "/dev/vhost-net";

    /// <param name="notes">What was decided, for -Verbose.</param>
    /// <param name="launching">False for -WhatIf: an -Fd backend is then only rendered, not refused.</param>
    public static async Task<QemuLaunchSpec> CheckAsync(QemuLaunchSpec spec, HostContext host, string aclPath, bool launching, List<string> notes, CancellationToken ct)
    {
        // Opened only when a TAP asks about vhost.
        var vhostUsable = new Lazy<bool>(() => HostDevice.CanOpen(VhostDevice));
        var checkedHubTaps = new Dictionary<string, QemuTapNet>(StringComparer.Ordinal);
        async Task<QemuNetBackend?> Check(QemuNetBackend? backend)
        {
            if (backend is not QemuTapNet tap)
            {
                return backend;
            }

            // A TAP shared by NICs on a hub is checked, and its vhost decided, once.
            var key = QemuLaunchSpec.HubKey(tap);
            if (key is not null && checkedHubTaps.TryGetValue(key, out var done))
            {
                return done;
            }

            var result = await CheckTapAsync(tap, host, aclPath, launching, vhostUsable, notes, ct).ConfigureAwait(false);
            if (key is not null)
            {
                checkedHubTaps[key] = result;
            }

            return result;
        }

        var nics = new List<QemuNic>();
        foreach (var nic in spec.Nics)
        {
            nics.Add(nic with { Backend = await Check(nic.Backend).ConfigureAwait(false) });
        }

        var hubBackends = new List<QemuNetBackend>();
        foreach (var backend in spec.HubBackends)
        {
            hubBackends.Add((await Check(backend).ConfigureAwait(false))!);
        }

        return spec with { Nics = nics, HubBackends = hubBackends };
    }

    private static async Task<QemuTapNet> CheckTapAsync(QemuTapNet tap, HostContext host, string aclPath, bool launching, Lazy<bool> vhostUsable,
        List<string> notes, CancellationToken ct)
    {
        if (tap.Fd is not null && !tap.ModuleOpens && launching)
        {
            throw new QemuNetException("TapFdNotSupported", QemuNetErrorCategory.InvalidOperation, tap.Fd,
                $"-Fd {tap.Fd} without -Bridge names a descriptor someone else opened in QEMU's process; Start-QemuVm has none to hand over.",
                "Give -Bridge too: QemuNet then opens the TAP, attaches it and hands it to QEMU at that number. Or take the command line from Start-QemuVm -WhatIf to a launcher that passes descriptors.");
        }

        foreach (var script in new[] { tap.Script, tap.DownScript }.Where(s => s is not null and not "no"))
        {
            CheckExecutable(script!, "TapScriptNotFound");
        }

        if (tap.Helper is not null)
        {
            await CheckHelperAsync(tap, host, aclPath, notes, ct).ConfigureAwait(false);
        }
        else if (tap.ModuleAttaches || tap.ModuleOpens)
        {
            // Whether this user may create the TAP is the engine's question (HostPrivilege), asked of the whole plan.
            await CheckBridgeAsync(tap.Bridge!, host, ct).ConfigureAwait(false);
        }

        var vhost = tap.Vhost;
        if (vhost == QemuVhostMode.On && !vhostUsable.Value)
        {
            throw new QemuNetException("VhostUnavailable", QemuNetErrorCategory.ResourceUnavailable, VhostDevice,
                $"-Vhost On needs {VhostDevice}, which cannot be opened here.",
                "Load the module ('modprobe vhost_net') and give this user access to the device, or use -Vhost Auto or Off.");
        }

        if (vhost == QemuVhostMode.Auto)
        {
            vhost = vhostUsable.Value ? QemuVhostMode.On : QemuVhostMode.Off;
            notes.Add($"TAP {tap.IfName ?? "(helper)"}: vhost-net {(vhostUsable.Value ? "on" : "off")} ({VhostDevice} {(vhostUsable.Value ? "is usable" : "cannot be opened")}).");
        }

        return tap with { Vhost = vhost };
    }

    private static async Task CheckHelperAsync(QemuTapNet tap, HostContext host, string aclPath, List<string> notes, CancellationToken ct)
    {
        var helper = BridgeHelper.Require(tap.Helper);
        var bridge = tap.Bridge ?? "br0";
        if (!helper.UsableByCaller)
        {
            throw new QemuNetException("BridgeHelperNotPrivileged", QemuNetErrorCategory.PermissionDenied, helper.Path, helper.ProblemForUsers!,
                $"As root, run 'chmod u+s {helper.Path}', or start the VM as root.");
        }

        if (!File.Exists(aclPath))
        {
            throw new QemuNetException("BridgeAccessDenied", QemuNetErrorCategory.PermissionDenied, bridge,
                $"The bridge helper refuses every bridge: its ACL file {aclPath} does not exist.",
                $"Grant-QemuBridgeAccess -Bridge {bridge}");
        }

        if (!BridgeAcl.IsAllowed(BridgeAcl.Read(aclPath), bridge))
        {
            throw new QemuNetException("BridgeAccessDenied", QemuNetErrorCategory.PermissionDenied, bridge,
                $"The bridge helper's ACL ({aclPath}) does not allow bridge {bridge}, so QEMU could not get a TAP on it.",
                $"Grant-QemuBridgeAccess -Bridge {bridge}");
        }

        await CheckBridgeAsync(bridge, host, ct).ConfigureAwait(false);
        notes.Add($"TAP on {bridge}: created by {helper.Path} (allowed by {aclPath}).");
    }

    private static async Task CheckBridgeAsync(string bridge, HostContext host, CancellationToken ct)
    {
        if (await HostLinks.GetAsync(host, bridge, ct).ConfigureAwait(false) is not { Kind: "bridge" })
        {
            throw new QemuNetException("TapBridgeNotFound", QemuNetErrorCategory.ObjectNotFound, bridge,
                $"There is no bridge named {bridge}" + (host.NetworkNamespace is null ? "." : $" in namespace {host.NetworkNamespace}."),
                $"Create it with New-QemuBridge -Name {bridge}, or list bridges with Get-QemuBridge.");
        }
    }

    private static void CheckExecutable(string path, string errorId)
    {
        if (!File.Exists(path))
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.ObjectNotFound, path, $"The TAP script '{path}' does not exist.",
                "Write one with Export-QemuIfupScript, or fix the path.");
        }

        if ((File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            throw new QemuNetException("TapScriptNotExecutable", QemuNetErrorCategory.PermissionDenied, path,
                $"The TAP script '{path}' is not executable, so QEMU could not run it.", $"chmod +x '{path}'");
        }
    }
}
