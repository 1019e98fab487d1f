using QemuNet.Core.Engine;

namespace QemuNet.Core.Tests;

/// <summary>The up-front privilege check: a user who cannot make a plan's changes is told so before any step runs.</summary>
public sealed class HostPrivilegeTests : IDisposable
{
    private static readonly HostPrivilege.Capabilities NormalUser = new(NetAdmin: false, SysAdmin: false);
    private readonly string _dir = Directory.CreateTempSubdirectory("qemunet-privilege-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static HostContext Host(RecordingProcessRunner runner, HostPrivilege.Capabilities can, string? execNamespace = null) =>
        new(runner, new NetworkNamespaceId(1, 1, execNamespace), execNamespace) { Can = can };

    private HostPlan NatLikePlan() => new("nat", "lab", [
        new HostStep(Path.Combine(_dir, "lab.json"), "Save network record", new HostChange(new WriteFile(Path.Combine(_dir, "lab.json"), "{}"), new DeleteFile(Path.Combine(_dir, "lab.json")))),
        new HostStep("qn-lab", "Create bridge", new HostChange(new RunProgram("ip", ["link", "add", "name", "qn-lab", "type", "bridge"]), new DeleteOwnedLink("qn-lab", "qemunet:nat:lab"))),
    ]);

    [Fact]
    public async Task AUserWithoutNetAdminIsRefusedBeforeAnyStepAndNothingIsAsked()
    {
        // Before: the first `ip link add` ran and failed with "RTNETLINK answers: Operation not permitted" (HostStepFailed).
        var runner = new RecordingProcessRunner();
        var asked = 0;
        var ex = await Assert.ThrowsAsync<QemuNetException>(() => new PlanRunner(Host(runner, NormalUser), _dir)
            .RunAsync("lab", _ => Task.FromResult(NatLikePlan()), _ => { asked++; return true; }, false, CancellationToken.None));
        Assert.Equal(HostPrivilege.ErrorId, ex.ErrorId);
        Assert.Equal(QemuNetErrorCategory.PermissionDenied, ex.Category);
        Assert.Equal("qn-lab", ex.Target);
        Assert.Contains("Nothing was changed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("New-QemuUserNet", ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("Grant-QemuBridgeAccess", ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal(0, asked);
        Assert.Empty(runner.Calls);
        Assert.False(File.Exists(Path.Combine(_dir, "lab.json")), "the step the user could make must not run either");
        Assert.False(File.Exists(Path.Combine(_dir, "lab.journal")));
    }

    [Fact]
    public async Task WhatIfByAUserWithoutNetAdminShowsEveryStepAndSaysWhatItCouldNotSee()
    {
        var runner = new RecordingProcessRunner();
        var warnings = new List<string>();
        var shown = new List<string>();
        var host = new HostContext(runner, new NetworkNamespaceId(1, 1, null), null) { Can = NormalUser, Warn = warnings.Add };
        var outcome = await new PlanRunner(host, _dir).RunAsync("lab", _ => Task.FromResult(NatLikePlan()), s => { shown.Add(s.Action); return true; }, true, CancellationToken.None);
        Assert.Equal(PlanOutcome.WhatIf, outcome);
        Assert.Equal(["Save network record", "Create bridge"], shown);
        var note = Assert.Single(warnings);
        Assert.Contains("nftables ruleset", note, StringComparison.Ordinal);
        Assert.Contains(HostPrivilege.ErrorId, note, StringComparison.Ordinal);
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task WhatIfByRootHasNoNote()
    {
        var warnings = new List<string>();
        var host = new HostContext(new RecordingProcessRunner(), new NetworkNamespaceId(1, 1, null), null) { Can = new(true, true), Warn = warnings.Add };
        await new PlanRunner(host, _dir).RunAsync("lab", _ => Task.FromResult(NatLikePlan()), _ => true, true, CancellationToken.None);
        Assert.Empty(warnings);
    }

    [Fact]
    public void AUserModeGuestNeedsNoPrivilegeButAGuestInANamedNamespaceNeedsRoot()
    {
        var start = new StartVmProcess("web", "qemu-system-x86_64", ["-daemonize"], Path.Combine(_dir, "web.pid"));
        Assert.Null(HostPrivilege.Lacks(Host(new RecordingProcessRunner(), NormalUser), start));
        Assert.Contains("ip netns exec", HostPrivilege.Lacks(Host(new RecordingProcessRunner(), new(true, false), "lab"), start), StringComparison.Ordinal);
        Assert.Null(HostPrivilege.Lacks(Host(new RecordingProcessRunner(), new(true, true), "lab"), start));
    }

    [Fact]
    public void NetAdminAloneIsEnoughForLinksAndSysctlsInTheCurrentNamespace()
    {
        // As in `unshare -rn`: CAP_NET_ADMIN in one's own namespace, no root.
        var host = Host(new RecordingProcessRunner(), new(NetAdmin: true, SysAdmin: false));
        Assert.Null(HostPrivilege.Lacks(host, new RunProgram("ip", ["link", "add", "name", "br0", "type", "bridge"])));
        Assert.Null(HostPrivilege.Lacks(host, new SetSysctl("net.ipv4.ip_forward", "1")));
        Assert.NotNull(HostPrivilege.Lacks(Host(new RecordingProcessRunner(), NormalUser), new SetSysctl("net.ipv4.ip_forward", "1")));
        Assert.NotNull(HostPrivilege.Lacks(Host(new RecordingProcessRunner(), NormalUser), new DeleteOwnedLink("br0", "qemunet:nat:lab")));
    }

    [Fact]
    public void CapabilitiesComeFromThisProcessStatus()
    {
        var can = HostPrivilege.Capabilities.Current();
        Assert.Equal(Environment.IsPrivilegedProcess, can.NetAdmin && can.SysAdmin);
    }
}
