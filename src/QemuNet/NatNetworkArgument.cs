using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>
/// A -Network argument: a NAT network object (from Enable-QemuNat or Get-QemuNat) or its name, looked up in the
/// cmdlet's namespace when the cmdlet runs. PowerShell converts either to this type through its constructors.
/// </summary>
public sealed class QemuNatNetworkArgument
{
    public QemuNatNetworkArgument(string name) => Name = name;

    public QemuNatNetworkArgument(QemuNatNetwork network)
    {
        Network = network;
        Name = network.Name;
    }

    public string Name { get; }

    /// <summary>The object given, or null when a name was given.</summary>
    public QemuNatNetwork? Network { get; }

    public override string ToString() => Name;
}
