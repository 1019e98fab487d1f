using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Describes a user-mode (slirp) backend: QEMU's default network, no root needed, with host port forwards.</summary>
[Cmdlet(VerbsCommon.New, "QemuUserNet")]
[OutputType(typeof(QemuUserNet))]
public sealed class NewQemuUserNetCommand : QemuCmdlet
{
    /// <summary>
    /// Forwards as QEMU's "tcp:127.0.0.1:8080-:80", the short "8080:80", a QemuHostForward, or a hashtable
    /// with Protocol, HostAddress, HostPort, GuestAddress, GuestPort.
    /// </summary>
    [Parameter(Position = 0)]
    [Alias("HostFwd")]
    [ValidateNotNullOrEmpty]
    public object[]? HostForward { get; set; }

    [Parameter]
    public SwitchParameter Restrict { get; set; }

    [Parameter]
    [Alias("Net")]
    [ValidateNotNullOrEmpty]
    public string? Subnet { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DhcpStart { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Dns { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DomainName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <summary>The seed's vlan=n: this network and every NIC on it meet on QEMU hub n (several NICs can share it).</summary>
    [Parameter]
    [Alias("Vlan")]
    [ValidateRange(0, QemuNetBackend.MaxHub)]
    public int Hub { get; set; }

    protected override void EndProcessing()
    {
        var forwards = (HostForward ?? []).Select(f => Invoke(() => HostForwardArgument.Convert(f))).ToArray();
        WriteObject(Invoke(() => QemuUserNet.Create(Id, Restrict, Subnet, DhcpStart, Dns, HostName, DomainName, forwards,
            MyInvocation.BoundParameters.ContainsKey(nameof(Hub)) ? Hub : null)));
    }
}
