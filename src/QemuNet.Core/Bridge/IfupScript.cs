using QemuNet.Core.Model;

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
        var remedy = natNetwork is null ? $"create it with New-QemuBridge -Name {bridge}" : $"enable the NAT network with Enable-QemuNat -Name {natNetwork}";
        return $"""
            #!/bin/sh
            # qemu-ifup, written by QemuNet (Export-QemuIfupScript).
            # QEMU runs it as: <this script> TAPNAME, once the TAP exists.
            # It puts the TAP on bridge {bridge}{(natNetwork is null ? string.Empty : $" (NAT network {natNetwork})")} and brings it up.
            set -eu
            PATH=/usr/sbin:/usr/bin:/sbin:/bin
            bridge={Quote(bridge)}
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
            # It takes the TAP off bridge {bridge}; QEMU deletes the TAP itself afterwards.
            set -u
            PATH=/usr/sbin:/usr/bin:/sbin:/bin
            tap="$1"
            ip link set dev "$tap" down
            ip link set dev "$tap" nomaster
            exit 0

            """;
    }

    /// <summary>POSIX single quotes: nothing inside is special except the quote itself.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
