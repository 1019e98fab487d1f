using QemuNet.Core.Engine;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;
using QemuNet.Core.Vm;

namespace QemuNet.Core.Tests;

/// <summary>
/// Golden start and stop plans, as Start-QemuVm -WhatIf and Stop-QemuVm -WhatIf print them: the record, the TAP
/// steps (on a bridge, on a NAT network's bridge, multiqueue), QEMU's exact argv, and the undo of each.
/// </summary>
public sealed class VmPlanGoldenTests : IDisposable
{
    private const string Qemu = "/usr/bin/qemu-system-x86_64";
    private static readonly string[] AllKnown = [.. QemuNicModels.KnownDevices];
    private readonly string _state = Directory.CreateTempSubdirectory("qemunet-vmplan-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    /// <summary>`ip link show dev NAME` answers with <paramref name="links"/> (JSON of one link each), else "does not exist".</summary>
    private static HostContext Host(IReadOnlyDictionary<string, string>? links = null) =>
        new(new RecordingProcessRunner((_, argv) => argv is [.., "show", "dev", var name] && links?.GetValueOrDefault(name) is { } json
                ? new ProcessResult(0, "[" + json + "]", string.Empty)
                : new ProcessResult(1, string.Empty, "Device does not exist.\n")),
            new NetworkNamespaceId(4026532000, 7, "lab"), "lab");

    private async Task<string> PlanAsync(QemuTapNet tap, HostContext? host = null)
    {
        var nic = QemuNic.Create("virtio", null, null, null, null, null, tap.Validate(), AllKnown);
        var spec = QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "web", Kernel = "/boot/vmlinuz", Nics = [nic] });
        var manager = new QemuVmManager(new RecordingProcessRunner(), "/run/qemunet") { TapOwner = 0 };
        var argv = QemuArgvRenderer.Render(spec, QemuAccelerator.Tcg, new QemuVmPaths("/run/qemunet", "web"));
        var (plan, vm) = await manager.PlanStartAsync(host ?? Host(), spec, Qemu, QemuAccelerator.Tcg, argv, CancellationToken.None);
        Assert.Equal("vm", plan.Kind);
        Assert.Equal("lab", vm.NetworkNamespace);
        return plan.Describe();
    }

    [Fact]
    public async Task TapOnABridge() =>
        Golden.AssertMatches("vm/tap-bridge.plan", await PlanAsync(new QemuTapNet { Bridge = "br0", NetworkNamespace = "lab", Vhost = QemuVhostMode.Off }));

    [Fact]
    public async Task TapOnANatNetwork() =>
        Golden.AssertMatches("vm/tap-nat.plan", await PlanAsync(QemuTapNet.ForBridge("qn-lab", "lab") with { Vhost = QemuVhostMode.Off }));

    [Fact]
    public async Task MultiqueueTapWithVnetHeaders() =>
        Golden.AssertMatches("vm/tap-multiqueue.plan", await PlanAsync(new QemuTapNet { Bridge = "br0", IfName = "tap-web", Queues = 4, VnetHdr = true, Vhost = QemuVhostMode.On }));

    [Fact]
    public async Task TapThisVmMadeBeforeIsAttachedAgainAndTapOfSomeoneElseIsPutBackOnRollback()
    {
        var ours = """{"ifname":"tap-web","ifalias":"qemunet:vm:web","link_type":"ether","linkinfo":{"info_kind":"tun"},"flags":["BROADCAST"]}""";
        Golden.AssertMatches("vm/tap-ours-again.plan", await PlanAsync(new QemuTapNet { Bridge = "br0", IfName = "tap-web", Vhost = QemuVhostMode.Off },
            Host(new Dictionary<string, string> { ["tap-web"] = ours })));
        var admins = """{"ifname":"tap-web","master":"br9","link_type":"ether","linkinfo":{"info_kind":"tun"},"flags":["BROADCAST","UP"]}""";
        Golden.AssertMatches("vm/tap-existing.plan", await PlanAsync(new QemuTapNet { Bridge = "br0", IfName = "tap-web", Vhost = QemuVhostMode.Off },
            Host(new Dictionary<string, string> { ["tap-web"] = admins })));
    }

    [Fact]
    public void StartingAStoppedVmAgainPutsItsEarlierRecordBackOnRollback()
    {
        var nic = QemuNic.Create("e1000", null, null, null, null, null, new QemuTapNet { Bridge = "br0", IfName = "tap-web", Vhost = QemuVhostMode.Off }.Validate(), AllKnown);
        var spec = QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "web", Nics = [nic] });
        var manager = new QemuVmManager(new RecordingProcessRunner(), "/run/qemunet") { TapOwner = 1000 };
        var argv = QemuArgvRenderer.Render(spec, QemuAccelerator.Tcg, new QemuVmPaths("/run/qemunet", "web"));
        var (plan, vm) = manager.PlanStart(spec, Qemu, QemuAccelerator.Tcg, argv, null, new Dictionary<string, LinkState?>(), """{"Name":"web"}""");
        Assert.Equal(["tap-web"], vm.CreatedTaps);
        Assert.Null(vm.NetworkNamespace);
        var record = Assert.Single(plan.Steps[0].Changes);
        Assert.Equal(new WriteFile("/run/qemunet/web.vm.json", """{"Name":"web"}""", Summary: "the earlier record"), Assert.Single(record.Undo));
        Assert.DoesNotContain(plan.Steps[^1].Changes[0].Undo, u => u is DeleteFile { Path: "/run/qemunet/web.console.log" });
        Golden.AssertMatches("vm/restart.plan", plan.Describe());
    }

    [Theory]
    [InlineData("""{"ifname":"tap-web","ifalias":"qemunet:vm:db","linkinfo":{"info_kind":"tun"},"flags":[]}""")]
    [InlineData("""{"ifname":"tap-web","linkinfo":{"info_kind":"veth"},"flags":[]}""")]
    public async Task TapNameHeldByAnotherVmOrNotATapIsRefused(string link)
    {
        var ex = await Assert.ThrowsAsync<QemuNetException>(() => PlanAsync(new QemuTapNet { Bridge = "br0", IfName = "tap-web" },
            Host(new Dictionary<string, string> { ["tap-web"] = link })));
        Assert.Equal("TapNameInUse", ex.ErrorId);
        Assert.Equal("tap-web", ex.Target);
    }

    [Fact]
    public async Task QemuFailureCarriesQemusMessageAndUndoesTheRecord()
    {
        var runner = new RecordingProcessRunner((_, _) => new ProcessResult(1, "", "qemu-system-x86_64: -device e1000,foo=1: Property 'e1000.foo' not found\n"));
        var manager = new QemuVmManager(runner, _state);
        var spec = QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "bad" });
        var argv = QemuArgvRenderer.Render(spec, QemuAccelerator.Tcg, new QemuVmPaths(_state, "bad"));
        var ex = await Assert.ThrowsAsync<QemuNetException>(() => manager.StartAsync(spec, Qemu, QemuAccelerator.Tcg, argv, null, _ => true, whatIf: false, CancellationToken.None));
        Assert.Equal("QemuStartFailed", ex.ErrorId);
        Assert.Equal("bad", ex.Target);
        Assert.Contains("Property 'e1000.foo' not found", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_state));
        Assert.Empty(Directory.GetFiles(Path.Combine(_state, "vm"), "*.journal"));
        var call = Assert.Single(runner.Calls);
        Assert.Equal(Qemu, call.FileName);
        Assert.Equal(argv, call.Arguments);
        Assert.Empty(manager.List());
    }

    [Fact]
    public async Task WhatIfWritesNothing()
    {
        var runner = new RecordingProcessRunner();
        var manager = new QemuVmManager(runner, Path.Combine(_state, "sub"));
        var spec = QemuLaunchPlanner.Resolve(new QemuLaunchSpec { Name = "quiet" });
        var shown = new List<HostStep>();
        var vm = await manager.StartAsync(spec, Qemu, QemuAccelerator.Tcg, [], null, s => { shown.Add(s); return true; }, whatIf: true, CancellationToken.None);
        Assert.Null(vm);
        Assert.Equal(["Write the VM record", "Start QEMU"], shown.Select(s => s.Action));
        Assert.Empty(runner.Calls);
        Assert.False(Directory.Exists(Path.Combine(_state, "sub")));
    }
}
