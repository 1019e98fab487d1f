using QemuNet.Core.Nat;
using System.Management.Automation;
using QemuNet.Core.Host;

namespace QemuNet.Commands;

/// <summary>
/// A preflight: what this host (or a namespace) offers QemuNet's three network modes and what blocks each:
/// QEMU, /dev/kvm, /dev/net/tun, /dev/vhost-net, the tools, the firewall, br_netfilter, the bridge helper,
/// DNS/DHCP ports and root. Reads only.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "QemuNetHost")]
[OutputType(typeof(QemuHostCheck))]
public sealed class TestQemuNetHostCommand : HostCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? QemuPath { get; set; }

    /// <summary>Only the findings that are not Ok.</summary>
    [Parameter]
    public SwitchParameter Problem { get; set; }

    protected override void EndProcessing()
    {
        var host = CreateHost();
        var qemu = QemuPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath);
        foreach (var check in Run(ct => HostProbe.RunAsync(host, qemu, ct)))
        {
            if (!Problem || check.Status != QemuHostCheckStatus.Ok)
            {
                WriteObject(check);
            }
        }
    }
}
