using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Bridge;

/// <summary>
/// The seed's qemu-ifup / qemu-ifdown scripts, for people who run QEMU by hand (-netdev tap,script=…).
/// QEMU runs them with the TAP name as $1; the bridge name is validated and single-quoted, and $1 is only
/// ever used inside double quotes, so nothing in either name can become shell syntax.
/// </summary>
public static class IfupScript
{
    /// <param name="natNetwork">The NAT network the bridge belongs to, for the message when it is missing.</param>
    public static string RenderUp(string bridge, string? natNetwork)
    {
        InterfaceName.Check(bridge, "IfupBridgeInvalid");
        if (natNetwork is not null)
        {
            // The name comes from an object that may have been deserialized: checked like input, and quoted anyway.
            QemuNatNetwork.CheckName(natNetwork);
        }

        var remedy = natNetwork is null ? "create it with New-QemuBridge -Name $bridge" : "enable the NAT network with Enable-QemuNat -Name $network";
        return $"""
            #!/bin/sh
            # qemu-ifup, written by QemuNet (Export-QemuIfupScript).
            # QEMU runs it as: <this script> TAPNAME, once the TAP exists.
            # It puts the TAP on the bridge named below and brings it up.
            set -eu
            PATH=/usr/sbin:/usr/bin:/sbin:/bin
            bridge={CommandLine.QuoteAlways(bridge)}
            network={CommandLine.QuoteAlways(natNetwork ?? string.Empty)}
            tap="$1"
            if [ ! -d "/sys/class/net/$bridge/bridge" ]; then
                echo "qemu-ifup: there is no bridge $bridge; {remedy}" >&2
                exit 1
            fi
            ip link set dev "$tap" master "$bridge"
            ip link set dev "$tap" up

            """;
    }

    public static string RenderDown(string bridge)
    {
        InterfaceName.Check(bridge, "IfupBridgeInvalid");
        return $"""
            #!/bin/sh
            # qemu-ifdown, written by QemuNet (Export-QemuIfupScript).
            # QEMU runs it as: <this script> TAPNAME, when the guest's network goes away.
            # It takes the TAP off its bridge; QEMU deletes the TAP itself afterwards.
            set -u
            PATH=/usr/sbin:/usr/bin:/sbin:/bin
            tap="$1"
            ip link set dev "$tap" down
            ip link set dev "$tap" nomaster
            exit 0

            """;
    }

    /// <summary>The files Export-QemuIfupScript writes (mode 755), checked before anything is written.</summary>
    public static IReadOnlyList<HostFileChange> Files(string? bridge, string? natNetwork, string upPath, string? downPath, bool force)
    {
        if (bridge is null)
        {
            throw new QemuNetException("IfupBridgeMissing", QemuNetErrorCategory.InvalidArgument, null,
                "Export-QemuIfupScript needs the bridge the script attaches TAPs to.", "Give -Bridge br0, or pipe in a NAT network from Get-QemuNat.");
        }

        var files = new List<HostFileChange> { new(upPath, RenderUp(bridge, natNetwork), "755", $"Write qemu-ifup script for bridge {bridge}") };
        if (downPath is not null)
        {
            files.Add(new HostFileChange(downPath, RenderDown(bridge), "755", $"Write qemu-ifdown script for bridge {bridge}"));
        }

        foreach (var file in files.Where(f => File.Exists(f.Path) && !force))
        {
            throw new QemuNetException("IfupScriptExists", QemuNetErrorCategory.ResourceExists, file.Path,
                $"{file.Path} already exists.", "Add -Force to overwrite it, or choose another -Path.");
        }

        return files;
    }

}
