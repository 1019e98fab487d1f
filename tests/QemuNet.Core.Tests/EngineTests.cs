using QemuNet.Core.Engine;

namespace QemuNet.Core.Tests;

/// <summary>The engine without a host: journal, state store and runner, with a recording process runner.</summary>
public sealed class EngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qemunet-engine-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The runner records instead of running, so these plans may pretend to the privilege a real one needs (also as a normal user).
    private static HostContext Host(RecordingProcessRunner runner) => new(runner, new NetworkNamespaceId(1, 1, null), null) { Can = new(NetAdmin: true, SysAdmin: true) };

    [Fact]
    public async Task AFailedChangeNeverRunsItsOwnUndo()
    {
        // "ip link add" fails (a foreign link of that name appeared): its undo must not delete that link.
        var runner = new RecordingProcessRunner((program, args) => new Processes.ProcessResult(args.Contains("add") ? 2 : 0, string.Empty, "RTNETLINK answers: File exists"));
        var engine = new PlanRunner(Host(runner), _dir);
        var plan = new HostPlan("t", "x", [
            new HostStep("f", "Write", new HostChange(new WriteFile(Path.Combine(_dir, "f"), "1"), new DeleteFile(Path.Combine(_dir, "f")))),
            new HostStep("qn-x", "Create bridge", new HostChange(new RunProgram("ip", ["link", "add", "name", "qn-x", "type", "bridge"]), new RunProgram("ip", ["link", "del", "qn-x"]))),
        ]);
        var ex = await Assert.ThrowsAsync<QemuNetException>(() => engine.RunAsync("x", _ => Task.FromResult(plan), _ => true, false, CancellationToken.None));
        Assert.Equal("HostStepFailed", ex.ErrorId);
        Assert.Contains("Create bridge", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(runner.Calls, c => c.Arguments.Contains("del"));
        Assert.False(File.Exists(Path.Combine(_dir, "f")));
        Assert.False(File.Exists(Path.Combine(_dir, "x.journal")));
    }

    [Theory]
    [InlineData("02:11:22:33:44:55", null, true)] // the batch made it, then stopped before the alias
    [InlineData("02:aa:bb:cc:dd:ee", null, false)] // someone else's link of that name: "link add" was what failed
    [InlineData("02:aa:bb:cc:dd:ee", "qemunet:nat:x", true)] // the batch got as far as the alias
    [InlineData("02:11:22:33:44:55", "theirs", false)]
    public void AHalfMadeBridgeIsOursOnlyByItsAliasOrItsAddress(string mac, string? alias, bool owned)
    {
        var undo = new DeleteOwnedLink("qn-x", "qemunet:nat:x") { MacAddress = "02:11:22:33:44:55" };
        Assert.Equal(owned, undo.Owns(new NetlinkLink(7, "qn-x", mac, alias)));
    }

    [Fact]
    public async Task AFailedChangeMarkedUndoIfFailedIsUndone()
    {
        // ip -batch fails half-way (an address it cannot add): what it made before that must not stay.
        var runner = new RecordingProcessRunner((program, args) =>
            args.Contains("-batch") ? new Processes.ProcessResult(1, string.Empty, "RTNETLINK answers: File exists\nCommand failed -:3")
            : new Processes.ProcessResult(0, string.Empty, string.Empty));
        var plan = new HostPlan("t", "x", [
            new HostStep("qn-x", "Create bridge", new HostChange(new RunProgram("ip", ["-batch", "-"], "link add name qn-x type bridge\n"),
                new RunProgram("ip", ["link", "del", "qn-x"])) { UndoIfFailed = true }),
        ]);
        var ex = await Assert.ThrowsAsync<QemuNetException>(() => new PlanRunner(Host(runner), _dir).RunAsync("x", _ => Task.FromResult(plan), _ => true, false, CancellationToken.None));
        Assert.Equal("HostStepFailed", ex.ErrorId);
        Assert.Contains(runner.Calls, c => c.Arguments.Contains("del"));
    }

    [Fact]
    public async Task AHostFileEditedAfterThePlanReadItIsKeptNotOverwritten()
    {
        // Found by the stress faults: a line an admin added to bridge.conf between the plan and its write was lost.
        var acl = Path.Combine(_dir, "bridge.conf");
        File.WriteAllText(acl, "allow br1\n");
        var plan = new HostPlan(HostFiles.Kind, "acl", HostFiles.Plan([new HostFileChange(acl, "allow br1\nallow br7\n")], new Dictionary<string, string?> { [acl] = "allow br1\n" }));
        File.WriteAllText(acl, "allow br1\nallow br9\n");
        var ex = await Assert.ThrowsAsync<QemuNetException>(() => new PlanRunner(Host(new RecordingProcessRunner()), _dir).RunAsync("acl", _ => Task.FromResult(plan), _ => true, false, CancellationToken.None));
        Assert.Equal("HostStepFailed", ex.ErrorId);
        Assert.Contains("changed by someone else", ex.Message, StringComparison.Ordinal);
        Assert.Equal("allow br1\nallow br9\n", File.ReadAllText(acl));
    }

    [Fact]
    public async Task TheUndoOfAHostFileKeepsAnEditMadeAfterTheWrite()
    {
        var file = Path.Combine(_dir, "qemu-ifup");
        var change = Assert.Single(Assert.Single(HostFiles.Plan([new HostFileChange(file, "ours\n")], new Dictionary<string, string?> { [file] = null })).Changes);
        await Host(new RecordingProcessRunner()).ExecuteAsync(change.Do, CancellationToken.None);
        File.WriteAllText(file, "theirs\n");
        var undo = Assert.Single(change.Undo);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Host(new RecordingProcessRunner()).ExecuteAsync(undo, CancellationToken.None));
        Assert.Equal("theirs\n", File.ReadAllText(file));
    }

    [Fact]
    public async Task TheUndoOfAFileWriteAKillStoppedBeforeItRanFindsTheFileAsItWasAndSucceeds()
    {
        // Found by the crash harness: a grant killed just before its write left a journal its recovery could not undo.
        var acl = Path.Combine(_dir, "bridge.conf");
        var change = Assert.Single(Assert.Single(HostFiles.Plan([new HostFileChange(acl, "allow br7\n")], new Dictionary<string, string?> { [acl] = null })).Changes);
        await Host(new RecordingProcessRunner()).ExecuteAsync(Assert.Single(change.Undo), CancellationToken.None);
        Assert.False(File.Exists(acl));
    }

    [Fact]
    public async Task TheFirstDeclinedStepCancelsThePlanAndNothingMoreIsAsked()
    {
        var runner = new RecordingProcessRunner();
        var asked = 0;
        var plan = new HostPlan("t", "x", [
            new HostStep("a", "One", new HostChange(new RunProgram("true", []), [])),
            new HostStep("b", "Two", new HostChange(new RunProgram("true", []), [])),
        ]);
        var outcome = await new PlanRunner(Host(runner), _dir).RunAsync("x", _ => Task.FromResult(plan), _ => { asked++; return false; }, false, CancellationToken.None);
        Assert.Equal(PlanOutcome.Declined, outcome);
        Assert.Equal(1, asked);
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task RecoveryUndoesDoneChangesAndTheOneInFlightNewestFirst()
    {
        var runner = new RecordingProcessRunner();
        var engine = new PlanRunner(Host(runner), _dir);
        var journal = engine.JournalFor("x");
        journal.Append(new JournalEntry("begin", Kind: "t", Name: "x"));
        journal.Append(new JournalEntry("intent", At: "1.1", Undo: [new RunProgram("undo", ["1"])]));
        journal.Append(new JournalEntry("done", At: "1.1"));
        journal.Append(new JournalEntry("intent", At: "2.1", Undo: [new RunProgram("undo", ["2"])]));
        await File.AppendAllTextAsync(journal.Path, "{\"Type\":\"do");   // torn while writing the next line
        Assert.True(await engine.RecoverAsync("x"));
        Assert.Equal(["2", "1"], runner.Calls.Select(c => c.Arguments[0]));
        Assert.False(journal.Exists);
    }

    [Fact]
    public void ATornLineBeforeTheLastIsReportedWithItsPath()
    {
        var journal = new Journal(Path.Combine(_dir, "y.journal"));
        File.WriteAllText(journal.Path, "{\"Type\":\"begin\"}\n{\"Type\":\"int\n{\"Type\":\"done\",\"At\":\"1.1\"}\n");
        var ex = Assert.Throws<QemuNetException>(() => journal.Read());
        Assert.Equal("StateJournalCorrupt", ex.ErrorId);
        Assert.Equal(journal.Path, ex.Target);
    }

    [Fact]
    public void ATornRecordIsCorruptAndNamesItsFile()
    {
        var file = Path.Combine(_dir, "lab.json");
        File.WriteAllText(file, "{\"Name\":\"lab\",\"Bridge");
        var ex = Assert.Throws<QemuNetException>(() => StateStore.Load<Model.QemuNatNetwork>(file, Nat.NatPlanner.Json, r => r));
        Assert.Equal("StateRecordCorrupt", ex.ErrorId);
        Assert.Equal(file, ex.Target);
    }

    [Fact]
    public void WritesAreAtomicAndNeverFollowAPlantedLink()
    {
        var victim = Path.Combine(_dir, "victim");
        File.WriteAllText(victim, "precious");
        var record = Path.Combine(_dir, "lab.json");
        File.CreateSymbolicLink(record, victim);
        Assert.Equal("StateFileUnsafe", Assert.Throws<QemuNetException>(() => StateStore.ReadText(record)).ErrorId);
        StateStore.WriteAtomic(record, "new");
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal("new", File.ReadAllText(record));
        Assert.Null(new FileInfo(record).LinkTarget);
        Assert.Empty(Directory.EnumerateFiles(_dir, "*.tmp"));
    }

    [Fact]
    public async Task ALockHeldByOneHolderForTheWholeLimitTimesOutNamingTheFile()
    {
        var file = Path.Combine(_dir, ".lock");
        using (var held = await StateStore.LockAsync(file, CancellationToken.None))
        {
            var ex = await Assert.ThrowsAsync<QemuNetException>(() => StateStore.LockAsync(file, TimeSpan.FromSeconds(1), CancellationToken.None));
            Assert.Equal("HostLockTimeout", ex.ErrorId);
            Assert.Equal(file, ex.Target);
        }

        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(file));
    }

    [Fact]
    public async Task ALockWaiterStartsItsWaitOverEachTimeTheLockChangesHands()
    {
        var file = Path.Combine(_dir, ".lock");
        var held = await StateStore.LockAsync(file, CancellationToken.None);
        // Holders taking turns for longer than the limit: each new holder's pid moves the file's time, as this does.
        var turns = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await Task.Delay(300);
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
            }

            held.Dispose();
        });
        using var waited = await StateStore.LockAsync(file, TimeSpan.FromSeconds(2), CancellationToken.None);
        await turns;
    }

    [Fact]
    public void AStateDirectoryOthersCanWriteOrThatIsALinkIsRefused()
    {
        var shared = Path.Combine(_dir, "shared");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)Convert.ToInt32("777", 8));
        Assert.Equal("StateDirectoryUnsafe", Assert.Throws<QemuNetException>(() => StateStore.Open(shared)).ErrorId);
        var link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, _dir);
        Assert.Equal("StateDirectoryUnsafe", Assert.Throws<QemuNetException>(() => StateStore.Open(link)).ErrorId);
        var fresh = Path.Combine(_dir, "fresh");
        StateStore.Open(fresh);
        Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(fresh));
    }

    [Fact]
    public void TheNamespaceKeyHasInodeAndCookie()
    {
        var current = NetworkNamespaceId.Current();
        Assert.NotEqual(0UL, current.Inode);
        Assert.NotEqual(0UL, current.Cookie);
        Assert.Equal($"{current.Inode}-{current.Cookie}", current.Key);
        Assert.True(current.SameNamespace(NetworkNamespaceId.Current()));
    }
}
