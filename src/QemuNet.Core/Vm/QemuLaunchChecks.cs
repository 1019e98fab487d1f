using QemuNet.Core.Engine;
using QemuNet.Core.Model;

namespace QemuNet.Core.Vm;

/// <summary>What Start-QemuVm checks about a launch before anything runs, each failure with its own error id.</summary>
public static class QemuLaunchChecks
{
    /// <summary>
    /// -RunAs: only root can hand QEMU to another user (QEMU's own setuid), and the user must exist, or QEMU would
    /// start as root and then fail with "User ... doesn't exist".
    /// </summary>
    public static void CheckRunAs(QemuLaunchSpec spec)
    {
        if (spec.RunAs is not { } user)
        {
            return;
        }

        if (NativeMethods.GetEffectiveUserId() != 0)
        {
            throw new QemuNetException("VmRunAsNeedsRoot", QemuNetErrorCategory.PermissionDenied, user,
                $"-RunAs {user} needs root: QEMU starts as root, sets up, then becomes {user}.",
                "Run Start-QemuVm as root, or leave -RunAs out to run QEMU as yourself.");
        }

        if (!NativeMethods.UserExists(user))
        {
            throw new QemuNetException("VmRunAsUserNotFound", QemuNetErrorCategory.ObjectNotFound, user,
                $"There is no user '{user}' on this host.", "Give -RunAs an existing user (see getent passwd), e.g. nobody.");
        }
    }

    /// <summary>-Initrd and -Append boot only with a kernel given directly.</summary>
    public static void CheckKernel(QemuLaunchSpec spec)
    {
        if ((spec.Initrd is not null || spec.Append is not null) && spec.Kernel is null)
        {
            throw new QemuNetException("VmKernelMissing", QemuNetErrorCategory.InvalidArgument, spec.Initrd ?? spec.Append,
                "-Initrd and -Append need -Kernel (QEMU boots them only with a kernel given directly).", "Add -Kernel with the path of a kernel image, or leave out -Initrd and -Append.");
        }
    }

    /// <summary>
    /// The namespace QEMU runs in: the one given, or the one the NICs' bridges live in (a TAP must be made where
    /// its bridge is). One QEMU runs in one namespace.
    /// </summary>
    public static string? ResolveNamespace(QemuLaunchSpec spec, string? given)
    {
        var tapNamespaces = spec.Backends().OfType<QemuTapNet>().Select(t => t.NetworkNamespace).OfType<string>().Distinct().ToList();
        if (tapNamespaces.Count > 1 || (tapNamespaces.Count == 1 && given is not null && tapNamespaces[0] != given))
        {
            throw new QemuNetException("VmNamespaceConflict", QemuNetErrorCategory.InvalidArgument, given,
                "The NICs' bridges live in different network namespaces (or not in -NetworkNamespace); one QEMU runs in one namespace.",
                "Put all of the VM's NICs on networks of one namespace, and give that namespace (or none) as -NetworkNamespace.");
        }

        var netns = given ?? tapNamespaces.FirstOrDefault();
        if (netns is not null)
        {
            NetworkNamespaceId.CheckName(netns);
        }

        return netns;
    }

    public static void CheckModels(QemuLaunchSpec spec, IReadOnlyList<QemuNicModel> supported, string qemu)
    {
        foreach (var nic in spec.Nics.Where(n => !supported.Any(m => m.Device == n.Device)))
        {
            throw new QemuNetException("NicModelUnsupported", QemuNetErrorCategory.InvalidArgument, nic.Model,
                $"{qemu} does not emulate the NIC model '{nic.Model}'.", "Run Get-QemuNicModel to see the models it has.");
        }
    }

    /// <summary>
    /// A warning per multiqueue NIC with more queue pairs than the guest has vCPUs: virtio-net uses
    /// min(queues, vCPUs) pairs, so the rest only cost the host descriptors and vectors.
    /// </summary>
    public static IEnumerable<string> QueueWarnings(IEnumerable<QemuNic> nics, int cpuCount) =>
        from nic in nics
        let queues = (nic.Backend as QemuTapNet)?.Queues ?? 1
        where queues > 1 && queues > cpuCount
        select $"NIC {nic.Id}: -Queues {queues} but the guest has {cpuCount} vCPU(s); it uses {cpuCount} queue pair(s) (min of the two). Give -CpuCount {queues} to use them all, or fewer -Queues.";

    /// <summary>The QMP socket must fit a Unix socket path even in a long state directory.</summary>
    public static void CheckPaths(QemuVmPaths paths)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(paths.QmpSocket) > QemuVmPaths.MaxSocketPath)
        {
            throw new QemuNetException("VmQmpPathTooLong", QemuNetErrorCategory.InvalidArgument, paths.StateDirectory,
                $"The state directory '{paths.StateDirectory}' is too long for the VM's QMP socket ({paths.QmpSocket}): a Unix socket path holds {QemuVmPaths.MaxSocketPath} bytes.",
                $"Set ${Engine.StateDirectory.EnvironmentVariable} to a shorter directory of your own, e.g. $XDG_RUNTIME_DIR/qemunet.");
        }
    }

    /// <summary>A file a launch needs (kernel, initrd, disk), given as <paramref name="given"/> and resolved to <paramref name="full"/>.</summary>
    public static string ExistingFile(string full, string given, string parameter, string currentLocation)
    {
        if (!File.Exists(full))
        {
            throw new QemuNetException("VmFileNotFound", QemuNetErrorCategory.ObjectNotFound, given,
                $"The -{parameter} file '{full}' does not exist.", $"Check the path given to -{parameter}; relative paths start at the current location ({currentLocation}).");
        }

        return full;
    }
}
