using System.Globalization;

namespace QemuNet.Core.Engine;

/// <summary>
/// Whether this process can make a plan's changes, asked before the first step: a normal user gets one clear
/// refusal (HostChangeNeedsRoot) instead of the first failing `ip` command's "Operation not permitted".
/// </summary>
public static class HostPrivilege
{
    public const string ErrorId = "HostChangeNeedsRoot";

    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;

    /// <summary>Where root's books are (StateDirectory.Resolve as root, unless $QEMUNET_STATE_DIR says otherwise).</summary>
    private const string RootStateDirectory = "/run/qemunet";

    /// <summary>What this process may do, read once per check from /proc/self/status (CapEff).</summary>
    public sealed record Capabilities(bool NetAdmin, bool SysAdmin)
    {
        public static Capabilities Current()
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            var bits = line is null ? 0UL : ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return new((bits & (1UL << CapNetAdmin)) != 0, (bits & (1UL << CapSysAdmin)) != 0);
        }
    }

    /// <summary>Why this process cannot run <paramref name="action"/> in <paramref name="host"/>; null when it can.</summary>
    public static string? Lacks(HostContext host, HostAction action)
    {
        switch (action)
        {
            case WriteFile write:
                return Writable(write.Path) ? null : $"needs write access to the folder of {write.Path}";
            case DeleteFile delete:
                return Writable(delete.Path) ? null : $"needs write access to the folder of {delete.Path}";
            case StopVmProcess:
            case SignalPidFile:
            case QmpCommand:
            case QmpUnplugDevice:
                // Signals and a guest's QMP socket reach this user's own QEMU; a stranger's refuses with its own message.
                return null;
        }

        if (host.ExecNamespace is not null && !host.Can.SysAdmin)
        {
            return $"needs root: it runs in network namespace {host.ExecNamespace} through ip netns exec";
        }

        return action is StartVmProcess { HandOver: null or [] } || host.Can.NetAdmin ? null : "needs root or CAP_NET_ADMIN: it changes network links, nftables rules or sysctls";
    }

    /// <summary>Throws <see cref="ErrorId"/> naming the first change of <paramref name="plan"/> this process cannot make.</summary>
    public static void Demand(HostContext host, HostPlan plan)
    {
        foreach (var step in plan.Steps)
        {
            foreach (var change in step.Changes)
            {
                if (Lacks(host, change.Do) is { } why)
                {
                    throw new QemuNetException(ErrorId, QemuNetErrorCategory.PermissionDenied, step.Target,
                        $"{plan.Kind} '{plan.Name}'{host.Where}: step '{step.Action}' on {step.Target} {why}; this process runs as user id "
                        + $"{NativeMethods.GetEffectiveUserId()} without that. Nothing was changed.",
                        "Run the command as root (sudo pwsh), or see the plan with -WhatIf. Without root, guests can use user-mode networking "
                        + "(New-QemuUserNet), or a bridge root made and granted (Grant-QemuBridgeAccess) through New-QemuTap -UseHelper.");
                }
            }
        }
    }

    /// <summary>
    /// For -WhatIf by a user who could not make the plan: what the plan could not see (root's books, the nftables
    /// ruleset, other users' files), so nobody takes it for what a run as root would do. Null when nothing is missing.
    /// </summary>
    public static string? NotePlanSeenWithout(HostContext host, HostPlan plan)
    {
        if (!plan.Steps.SelectMany(s => s.Changes).Any(c => Lacks(host, c.Do) is not null))
        {
            return null;
        }

        return $"This plan is what user id {NativeMethods.GetEffectiveUserId()} can see: without root it could not read root's books "
            + $"({RootStateDirectory}), the nftables ruleset or other users' files, and a real run would stop with {ErrorId}. "
            + "Run -WhatIf as root to see what root would change.";
    }

    /// <summary>
    /// The folder that decides whether <paramref name="path"/> can be written or deleted: its own, or the nearest one
    /// that exists (files are replaced by a rename, so the folder is what must be writable).
    /// </summary>
    public static string? DecidingFolder(string path)
    {
        var dir = Path.GetDirectoryName(path);
        while (dir is not null && !Directory.Exists(dir))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir;
    }

    private static bool Writable(string path) => DecidingFolder(path) is { } dir && NativeMethods.CanWrite(dir);
}
