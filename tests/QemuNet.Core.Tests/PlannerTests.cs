using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;
using QemuNet.Core.Vm;

namespace QemuNet.Core.Tests;

public class PlannerTests
{
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    private static QemuNic Nic(string model = "virtio", string? mac = null, QemuNetBackend? backend = null, string? id = null, string? addr = null) =>
        QemuNic.Create(model, mac, id, addr, null, null, backend, AllKnown);

    private static QemuNetException Fails(QemuLaunchSpec spec) => Assert.Throws<QemuNetException>(() => QemuLaunchPlanner.Resolve(spec));

    [Fact]
    public void MacsAreDerivedPerVmAndIndexAndGivenOnesKept()
    {
        var spec = QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "web", Nics = [Nic(), Nic(mac: "52:54:00:00:00:01"), Nic()] });
        Assert.Equal([MacAddress.Derive("web", 0), "52:54:00:00:00:01", MacAddress.Derive("web", 2)], spec.Nics.Select(n => n.MacAddress));
        Assert.Equal(["nic0", "nic1", "nic2"], spec.Nics.Select(n => n.Id));
    }

    [Fact]
    public void DuplicateMacIsAnError()
    {
        var ex = Fails(new QemuLaunchSpec { Name = "web", Nics = [Nic(mac: "52:54:00:00:00:01"), Nic("e1000", mac: "52-54-00-00-00-01")] });
        Assert.Equal(("NicMacDuplicate", (object?)"52:54:00:00:00:01"), (ex.ErrorId, ex.Target));
    }

    [Fact]
    public void AGivenMacThatEqualsADerivedOneIsADuplicate()
    {
        var ex = Fails(new QemuLaunchSpec { Name = "web", Nics = [Nic(), Nic(mac: MacAddress.Derive("web", 0))] });
        Assert.Equal("NicMacDuplicate", ex.ErrorId);
    }

    [Fact]
    public void DuplicateIdsAndPciAddressesAreErrors()
    {
        Assert.Equal("NicIdDuplicate", Fails(new QemuLaunchSpec { Nics = [Nic(id: "a"), Nic(id: "a")] }).ErrorId);
        Assert.Equal("NicIdDuplicate", Fails(new QemuLaunchSpec { Nics = [Nic(id: "nic1"), Nic()] }).ErrorId);
        Assert.Equal("NicPciAddressDuplicate", Fails(new QemuLaunchSpec { Nics = [Nic(addr: "5"), Nic(addr: "0x05.0")] }).ErrorId);
    }

    [Fact]
    public void HostPortForwardedByTwoUserNetworksIsAnError()
    {
        var a = QemuUserNet.Create(null, false, null, null, null, null, null, [QemuHostForward.Parse("8080:80")]);
        var b = QemuUserNet.Create(null, false, null, null, null, null, null, [QemuHostForward.Parse("tcp:127.0.0.1:8080-:8080")]);
        var ex = Fails(new QemuLaunchSpec { Nics = [Nic(backend: a), Nic(backend: b)] });
        Assert.Equal(("UserNetHostPortDuplicate", (object?)8080), (ex.ErrorId, ex.Target));
    }

    [Fact]
    public void OneBackendOnTwoNicsIsAnError()
    {
        var user = QemuUserNet.Create(null, false, null, null, null, null, null, null);
        Assert.Equal("NicBackendShared", Fails(new QemuLaunchSpec { Nics = [Nic(backend: user), Nic(backend: user)] }).ErrorId);
    }

    [Fact]
    public void SpecLevelChecks()
    {
        Assert.Equal("VmNoNetworkWithNic", Fails(new QemuLaunchSpec { NoNetwork = true, Nics = [Nic()] }).ErrorId);
        Assert.Equal("VmNameInvalid", Fails(new QemuLaunchSpec { Name = "../etc" }).ErrorId);
        Assert.Equal("VmNameInvalid", Fails(new QemuLaunchSpec { Name = "a b" }).ErrorId);
        Assert.Equal("VmMemoryInvalid", Fails(new QemuLaunchSpec { MemoryMiB = 8 }).ErrorId);
        Assert.Equal("VmCpuCountInvalid", Fails(new QemuLaunchSpec { CpuCount = 0 }).ErrorId);
    }

    [Fact]
    public void OptionValuesDoubleCommasAndRefuseControlCharacters()
    {
        Assert.Equal("file=/a,,b,format=raw", new QemuOptionBuilder().Add("file", "/a,b").Add("format", "raw").ToString());
        var ex = Assert.Throws<QemuNetException>(() => new QemuOptionBuilder().Add("hostname", "a\nb"));
        Assert.Equal("QemuOptionValueInvalid", ex.ErrorId);
    }

    [Fact]
    public void CommandLineQuotingIsForReadingOnly()
    {
        Assert.Equal("qemu -append 'console=ttyS0 quiet' 'it'\\''s'", CommandLine.Format("qemu", ["-append", "console=ttyS0 quiet", "it's"]));
    }

    [Fact]
    public void NicModelsAreParsedFromQemuHelp()
    {
        const string nicHelp = "Supported NIC models:\ne1000\nne2k_pci\nvirtio-net-pci\nvmxnet3\n";
        const string deviceHelp = """
            Network devices:
            name "e1000", bus PCI, alias "e1000-82540em", desc "Intel Gigabit Ethernet"
            name "ne2k_isa", bus ISA
            name "ne2k_pci", bus PCI
            name "virtio-net-pci", bus PCI, alias "virtio-net"
            name "vmxnet3", bus PCI, desc "VMWare Paravirtualized Ethernet v3"
            """;
        var models = QemuBinary.ParseNicModels(nicHelp, deviceHelp);
        Assert.Equal(["e1000", "ne2k_pci", "virtio", "vmxnet3"], models.Select(m => m.Name));
        Assert.Equal(["e1000", "ne2k_pci", "virtio-net-pci", "vmxnet3"], models.Select(m => m.Device));
        Assert.Equal([false, false, true, false], models.Select(m => m.IsVirtio));
        Assert.Equal("Intel Gigabit Ethernet", models[0].Description);
        Assert.Null(models[1].Description);
        Assert.Equal("PCI", models[3].Bus);
    }
}
