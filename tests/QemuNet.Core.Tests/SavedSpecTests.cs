using QemuNet.Core.Model;

namespace QemuNet.Core.Tests;

/// <summary>Specs rebuilt from the property bags that saved forms (Clixml, JSON, CSV) leave.</summary>
public sealed class SavedSpecTests
{
    private static readonly string[] KnownModels = ["e1000", "virtio-net-pci", "rtl8139"];

    private static Func<string, object?> Bag(params (string Name, object? Value)[] properties) =>
        name => properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    [Fact]
    public void TellsTheKindFromThePropertyNames()
    {
        Assert.Equal(typeof(QemuNic), SavedSpec.KindOf(["Model", "Device", "MacAddress", "Backend"]));
        Assert.Equal(typeof(QemuNetBackend), SavedSpec.KindOf(["Kind", "IfName", "Bridge"]));
        Assert.Equal(typeof(QemuNetBackend), SavedSpec.KindOf(["Id", "Kind", "Restrict", "HostForward"]));
        Assert.Equal(typeof(QemuNatNetwork), SavedSpec.KindOf(["Name", "BridgeName", "Subnet", "Gateway"]));
        Assert.Null(SavedSpec.KindOf(["Foo"]));
    }

    [Fact]
    public void EmptyTextIsAValueNotGiven()
    {
        var nic = SavedSpec.Nic(Bag(("Model", "e1000"), ("MacAddress", ""), ("PciAddress", ""), ("Vectors", ""), ("BootIndex", ""), ("Backend", "")), KnownModels);
        Assert.Equal("e1000", nic.Model);
        Assert.Null(nic.MacAddress);
        Assert.Null(nic.PciAddress);
        Assert.Null(nic.BootIndex);
        Assert.Null(nic.Backend);
    }

    [Fact]
    public void ABackendComesBackFromEnumNamesOrNumbersAndForwardTexts()
    {
        // ConvertTo-Json writes enums as numbers and, past its depth, nested objects as their text.
        var user = Assert.IsType<QemuUserNet>(SavedSpec.Backend(Bag(("Kind", 0L), ("Restrict", true), ("HostForward", new object?[] { "tcp:127.0.0.1:8080-:80" }))));
        Assert.True(user.Restrict);
        Assert.Equal("tcp:127.0.0.1:8080-:80", Assert.Single(user.HostForward).ToString());

        var tap = Assert.IsType<QemuTapNet>(SavedSpec.Backend(Bag(("Kind", "Tap"), ("IfName", "tap7"), ("Bridge", "br0"), ("Vhost", "2"), ("Queues", "2"))));
        Assert.Equal(QemuVhostMode.Off, tap.Vhost);
        Assert.Equal(2, tap.Queues);
    }

    [Fact]
    public void AUserNetworksForwardsSurviveACsvCell()
    {
        var net = QemuUserNet.Create(null, false, null, null, null, null, null,
            [QemuHostForward.Parse("tcp:127.0.0.1:8080-:80"), QemuHostForward.Parse("udp::5353-:53")]);
        var cell = net.HostForward.ToString();
        var back = Assert.IsType<QemuUserNet>(SavedSpec.Backend(Bag(("Kind", "User"), ("Restrict", "False"), ("HostForward", cell))));
        Assert.Equal(net.HostForward.Select(f => f.ToString()), back.HostForward.Select(f => f.ToString()));
    }

    [Fact]
    public void ANicWhoseBackendIsOnlyTextIsRefusedNotPutOnTheDefaultNetwork()
    {
        var ex = Assert.Throws<QemuNetException>(() => SavedSpec.Nic(Bag(("Model", "e1000"), ("Backend", "tap br0")), KnownModels));
        Assert.Equal("SpecBackendNotSaved", ex.ErrorId);
        Assert.Equal("tap br0", ex.Target);
        Assert.Null(SavedSpec.Nic(Bag(("Model", "e1000"), ("Backend", "user")), KnownModels).Backend);
    }

    [Fact]
    public void SavedValuesGetTheNewCmdletsChecks()
    {
        Assert.Equal("NicMacInvalid", Assert.Throws<QemuNetException>(() => SavedSpec.Nic(Bag(("Model", "e1000"), ("MacAddress", "52:54:00:zz:00:01")), KnownModels)).ErrorId);
        Assert.Equal("TapIfNameInvalid", Assert.Throws<QemuNetException>(() => SavedSpec.Backend(Bag(("Kind", "Tap"), ("IfName", "$(reboot)")))).ErrorId);
        Assert.Equal("SpecValueInvalid", Assert.Throws<QemuNetException>(() => SavedSpec.Backend(Bag(("Kind", "Tap"), ("IfName", "tap7"), ("Queues", "many")))).ErrorId);
        Assert.Equal("SpecKindUnknown", Assert.Throws<QemuNetException>(() => SavedSpec.Backend(Bag(("Kind", "Vde")))).ErrorId);
    }

    [Fact]
    public void ANicsBackendComesBackFromItsBackendSpecText()
    {
        var tap = new QemuTapNet { IfName = "tap7", Bridge = "br0", Queues = 2, Vhost = QemuVhostMode.Off, VnetHdr = true }.Validate();
        var user = QemuUserNet.Create("u0", true, "10.0.3.0/24", null, null, "guest", null, [QemuHostForward.Parse("tcp:127.0.0.1:8080-:80")]);
        foreach (var backend in new QemuNetBackend[] { tap, user })
        {
            // As an Import-Csv row has it: the backend's display text, and its BackendSpec.
            var nic = SavedSpec.Nic(Bag(("Model", "virtio"), ("Backend", backend.ToString()), ("BackendSpec", SavedSpec.ToText(backend))), KnownModels);
            Assert.Equal(SavedSpec.ToText(backend), SavedSpec.ToText(nic.Backend));
        }

        Assert.Equal("SpecValueInvalid", Assert.Throws<QemuNetException>(() => SavedSpec.Nic(Bag(("Model", "virtio"), ("Backend", "tap"), ("BackendSpec", "{not json")), KnownModels)).ErrorId);
    }
}
