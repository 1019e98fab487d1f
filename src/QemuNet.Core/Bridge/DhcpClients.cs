using QemuNet.Core.Processes;

namespace QemuNet.Core.Bridge;

/// <summary>Which DHCP client looks after a link, so a warning can say what to move to the bridge and how.</summary>
public static class DhcpClients
{
    private static readonly string[] Known = ["dhclient", "dhcpcd", "udhcpc", "systemd-networkd", "NetworkManager"];

    /// <summary>The running DHCP clients (by /proc/PID/cmdline), with what to do for <paramref name="bridge"/>.</summary>
    public static string Describe(string uplink, string bridge)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || ProcessProbe.LiveCommandLine(pid) is not { Count: > 0 } argv)
            {
                continue;
            }

            var program = Path.GetFileName(argv[0]);
            if (Known.Contains(program, StringComparer.Ordinal))
            {
                found.Add($"{program} (pid {pid}{(argv.Contains(uplink, StringComparer.Ordinal) ? " for " + uplink : string.Empty)})");
            }
        }

        var how = $"stop it for {uplink} and run it for {bridge} (for dhclient: 'dhclient -r {uplink}; dhclient {bridge}', as the seed does), or give {bridge} the address in your network configuration.";
        return found.Count == 0 ? $"no DHCP client runs; {how}" : $"running: {string.Join(", ", found.Distinct())}; {how}";
    }
}
