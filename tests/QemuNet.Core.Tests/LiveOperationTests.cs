using System.Text;
using QemuNet.Core.Model;
using QemuNet.Core.Qemu;
using QemuNet.Core.Vm;

namespace QemuNet.Core.Tests;

/// <summary>
/// The text of live operations: QMP arguments from the same properties as the command line, HMP output parsed,
/// QEMU's refusals mapped to ids, and pcap files counted.
/// </summary>
public class LiveOperationTests
{
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];

    [Fact]
    public void QmpArgumentsAreTypedAndMatchTheCommandLine()
    {
        var user = QemuUserNet.Create("net1", true, "198.51.100.0/24", null, null, "guest", null,
            [QemuHostForward.Parse("8080:80"), QemuHostForward.Parse("udp/5353:53")]);
        var tap = new QemuTapNet { Id = "net2", IfName = "tap1", Bridge = "br0", Queues = 2, VnetHdr = true, Vhost = QemuVhostMode.On }.Validate();
        var nic = QemuNic.Create("virtio", "52:54:00:00:00:01", "nic2", "05.0", null, 3, tap, AllKnown);
        var text = new StringBuilder()
            .AppendLine(QemuProperties.Netdev(user, "net1").ToOptionString())
            .AppendLine(QemuProperties.Netdev(user, "net1").ToQmpArguments().ToJsonString())
            .AppendLine(QemuProperties.Netdev(tap, "net2").ToOptionString())
            .AppendLine(QemuProperties.Netdev(tap, "net2").ToQmpArguments().ToJsonString())
            .AppendLine(QemuProperties.Device(nic, "net2").ToOptionString())
            .AppendLine(QemuProperties.Device(nic, "net2").ToQmpArguments().ToJsonString())
            .ToString();
        Golden.AssertMatches("live/properties.txt", text);
    }

    [Fact]
    public void InfoUsernetGivesTheForwardsPerNetdev()
    {
        const string text = "Hub -1 (net0):\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\n"
            + "  TCP[HOST_FORWARD]  11       127.0.0.1  8080       10.0.2.15    80     0     0\n"
            + "Hub -1 (net1):\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\n"
            + "  UDP[HOST_FORWARD]  20               *  5353       10.0.2.15    53     0     0\n"
            + "  TCP[ESTABLISHED]   21       10.0.2.15 40000        10.0.2.2    80     0     0\n";
        Assert.Equal(["net0|TCP|127.0.0.1|8080", "net1|UDP|0.0.0.0|5353"], QemuVmManager.ParseUserNet(text).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void InfoNetworkGivesNicsAndNetdevs()
    {
        const string text = "nic0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:12:34:56\n \\ net0: index=0,type=user,net=10.0.2.0,restrict=off\n"
            + "filters:\n  - cap0: type=filter-dump,file=/tmp/x.pcap\nnic1: index=0,type=nic,model=e1000,macaddr=52:54:00:aa:bb:01\n \\ net1: index=0,type=tap,ifname=tap1,script=no,downscript=no\n";
        var (nics, netdevs) = QemuVmManager.ParseInfoNetwork(text);
        Assert.Equal(["nic0", "nic1"], nics.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("user,net=10.0.2.0,restrict=off", netdevs["net0"]);
        Assert.Equal("tap,ifname=tap1,script=no,downscript=no", netdevs["net1"]);
    }

    [Theory]
    [InlineData("GenericError", "Bus 'isa.0' does not support hotplugging", "VmNicNotHotpluggable")]
    [InlineData("GenericError", "Duplicate device ID 'nic1'", "QmpIdDuplicate")]
    [InlineData("GenericError", "attempt to add duplicate property 'cap1' to object (type 'container')", "QmpIdDuplicate")]
    [InlineData("HumanMonitorError", "Could not set up host forwarding rule 'tcp:127.0.0.1:8083-:80'", "VmHostPortInUse")]
    [InlineData("DeviceNotFound", "Device 'net1' not found", "QmpObjectNotFound")]
    [InlineData("HumanMonitorError", "host forwarding rule for tcp:127.0.0.1:8099 not found", "QmpObjectNotFound")]
    [InlineData("GenericError", "PCI: slot 1 function 0 not available for virtio-net-pci, in use by PIIX3", "QmpCommandFailed")]
    public void QemuRefusalsBecomeStableIds(string errorClass, string description, string id)
    {
        var mapped = QmpActions.Map(new QmpCommandException("web", "device_add", errorClass, description));
        Assert.Equal(id, mapped.ErrorId);
        Assert.Contains(description, mapped.Message, StringComparison.Ordinal);
        Assert.Equal("web", mapped.Target);
    }

    [Fact]
    public void PcapCountsWholeRecordsInEitherByteOrder()
    {
        static byte[] Pcap(bool bigEndian, params int[] lengths)
        {
            var data = new List<byte>();
            void U32(uint v)
            {
                var b = BitConverter.GetBytes(v);
                if (bigEndian == BitConverter.IsLittleEndian)
                {
                    Array.Reverse(b);
                }

                data.AddRange(b);
            }

            U32(0xa1b2c3d4);
            data.AddRange(new byte[16]);
            U32(1);
            foreach (var length in lengths)
            {
                U32(0);
                U32(0);
                U32((uint)length);
                U32((uint)length);
                data.AddRange(new byte[length]);
            }

            return [.. data];
        }

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, Pcap(false, 60, 74, 1514));
            Assert.Equal((3L, 1648L), QemuNetCapture.CountPcap(path));
            File.WriteAllBytes(path, Pcap(true, 60, 42));
            Assert.Equal((2L, 102L), QemuNetCapture.CountPcap(path));
            // A record QEMU is still writing is not counted.
            File.WriteAllBytes(path, Pcap(false, 60, 74)[..^10]);
            Assert.Equal((1L, 60L), QemuNetCapture.CountPcap(path));
            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.Equal((0L, 0L), QemuNetCapture.CountPcap(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MirrorFramesAreCountedByTheirLengthPrefix()
    {
        static byte[] Frame(int length) => [(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, .. new byte[length]];

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [.. Frame(60), .. Frame(1514), .. Frame(42)]);
            Assert.Equal((3L, 1616L), QemuNetCapture.CountFrames(path));
            File.WriteAllBytes(path, [.. Frame(60), .. Frame(1514)[..100]]);
            Assert.Equal((1L, 60L), QemuNetCapture.CountFrames(path));
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal((0L, 0L), QemuNetCapture.CountFrames(path));
    }

    [Theory]
    [InlineData(4, 2, "NIC nic0: -Queues 4 but the guest has 2 vCPU(s); it uses 2 queue pair(s)")]
    [InlineData(2, 2, null)]
    [InlineData(2, 8, null)]
    public void MoreQueuesThanVcpusIsWarned(int queues, int cpus, string? warning)
    {
        var nic = QemuNic.Create("virtio", null, "nic0", null, null, null, new QemuTapNet { Bridge = "br0", Queues = queues }.Validate(), AllKnown);
        var warnings = QemuLaunchChecks.QueueWarnings([nic, QemuNic.Create("e1000", null, "nic1", null, null, null, null, AllKnown)], cpus).ToList();
        if (warning is null)
        {
            Assert.Empty(warnings);
        }
        else
        {
            Assert.StartsWith(warning, Assert.Single(warnings), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(QemuCaptureDirection.Rx, "tx")]
    [InlineData(QemuCaptureDirection.Tx, "rx")]
    [InlineData(QemuCaptureDirection.Both, "all")]
    public void DirectionIsTheGuestsViewOfQemusQueues(QemuCaptureDirection direction, string queue) =>
        Assert.Equal(queue, QemuNetCapture.QueueOf(direction));
}
