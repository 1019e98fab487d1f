using System.Collections;
using System.Globalization;
using System.Management.Automation;
using QemuNet.Core;
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

    protected override void EndProcessing()
    {
        var forwards = (HostForward ?? []).Select(ToForward).ToArray();
        WriteObject(Invoke(() => QemuUserNet.Create(Id, Restrict, Subnet, DhcpStart, Dns, HostName, DomainName, forwards)));
    }

    private QemuHostForward ToForward(object value) => Invoke(() => (value is PSObject ps ? ps.BaseObject : value) switch
    {
        QemuHostForward forward => QemuHostForward.Create(forward.Protocol, forward.HostAddress, forward.HostPort, forward.GuestAddress, forward.GuestPort),
        string text => QemuHostForward.Parse(text),
        int port => QemuHostForward.Create(QemuForwardProtocol.Tcp, null, port, null, port),
        IDictionary table => FromProperties(k => table.Contains(k) ? table[k] : null, value),
        PSCustomObject => FromProperties(k => ((PSObject)value).Properties[k]?.Value, value),
        _ => throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, value,
            $"'{value}' is not a host forward; give a string such as 'tcp:127.0.0.1:8080-:80' or '8080:80', or a hashtable with HostPort and GuestPort.",
            "Give -HostForward as 'tcp:127.0.0.1:8080-:80', '8080:80', or @{ HostPort = 8080; GuestPort = 80 }."),
    });

    private static QemuHostForward FromProperties(Func<string, object?> get, object whole)
    {
        var protocolText = get("Protocol")?.ToString();
        var protocol = QemuForwardProtocol.Tcp;
        if (protocolText is not null && !Enum.TryParse(protocolText, ignoreCase: true, out protocol))
        {
            throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, protocolText,
                $"The forward protocol '{protocolText}' is neither Tcp nor Udp.", "Set Protocol to Tcp or Udp (or leave it out for Tcp).");
        }

        return QemuHostForward.Create(protocol, get("HostAddress")?.ToString(), Port(get("HostPort"), whole),
            get("GuestAddress")?.ToString(), Port(get("GuestPort"), whole));
    }

    private static int Port(object? value, object whole)
    {
        value = value is PSObject ps ? ps.BaseObject : value;
        return value switch
        {
            null => throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, whole,
                "A host forward needs both HostPort and GuestPort.", "Give -HostForward as 'tcp:127.0.0.1:8080-:80', '8080:80', or @{ HostPort = 8080; GuestPort = 80 }."),
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            _ when int.TryParse(value.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) => p,
            _ => throw new QemuNetException("UserNetHostForwardInvalid", QemuNetErrorCategory.InvalidArgument, value,
                $"The port '{value}' is not a number.", "Give ports as numbers from 1 to 65535."),
        };
    }
}
