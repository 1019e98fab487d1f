using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// Describes a socket backend (-net socket): guests in different QEMU processes share one Ethernet segment over
/// TCP (one listens, the other connects), UDP multicast or unicast UDP. No root, no host links.
/// </summary>
[Cmdlet(VerbsCommon.New, "QemuSocketNet", DefaultParameterSetName = nameof(Listen))]
[OutputType(typeof(QemuSocketNet))]
public sealed class NewQemuSocketNetCommand : QemuCmdlet
{
    /// <summary>[host]:port to wait on for the peer QEMU.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(Listen))]
    [ValidateNotNullOrEmpty]
    public string? Listen { get; set; }

    /// <summary>host:port of a peer QEMU that listens.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(Connect))]
    [ValidateNotNullOrEmpty]
    public string? Connect { get; set; }

    /// <summary>group:port of an IPv4 multicast group every guest of the segment joins.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(Mcast))]
    [ValidateNotNullOrEmpty]
    public string? Mcast { get; set; }

    /// <summary>host:port of the one peer to send datagrams to.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(Udp))]
    [ValidateNotNullOrEmpty]
    public string? Udp { get; set; }

    /// <summary>-Mcast: the local address to send from; -Udp: the local host:port to receive on.</summary>
    [Parameter(ParameterSetName = nameof(Mcast))]
    [Parameter(Mandatory = true, ParameterSetName = nameof(Udp))]
    [ValidateNotNullOrEmpty]
    public string? LocalAddress { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <summary>The seed's vlan=n: the socket and every NIC on it meet on QEMU hub n.</summary>
    [Parameter]
    [Alias("Vlan")]
    [ValidateRange(0, QemuNetBackend.MaxHub)]
    public int Hub { get; set; }

    protected override void EndProcessing()
    {
        var (mode, address) = ParameterSetName switch
        {
            nameof(Connect) => (QemuSocketMode.Connect, Connect!),
            nameof(Mcast) => (QemuSocketMode.Mcast, Mcast!),
            nameof(Udp) => (QemuSocketMode.Udp, Udp!),
            _ => (QemuSocketMode.Listen, Listen!),
        };
        WriteObject(Invoke(() => QemuSocketNet.Create(Id, mode, address, LocalAddress,
            MyInvocation.BoundParameters.ContainsKey(nameof(Hub)) ? Hub : null)));
    }
}
