using QemuNet.Core.Engine;

namespace QemuNet.Core.Tests;

public class InProcessHostTests
{
    [Theory]
    [InlineData("-j list ruleset", null, LibNftables.OutputJson, null, "list ruleset")]
    [InlineData("-j -e -a -f /run/x/lab.nft.transaction", null,
        LibNftables.OutputJson | LibNftables.OutputEcho | LibNftables.OutputHandle, "/run/x/lab.nft.transaction", null)]
    [InlineData("delete table inet qemunet_lab", null, 0u, null, "delete table inet qemunet_lab")]
    [InlineData("-f -", "table inet qemunet_lab {}\n", 0u, null, "table inet qemunet_lab {}\n")]
    public void TheModulesNftCommandLinesRunInProcess(string arguments, string? input, uint flags, string? file, string? text)
    {
        var call = LibNftables.Parse(arguments.Split(' '), input);
        Assert.Equal(new LibNftables.Call(flags, file, text), call);
    }

    [Theory]
    [InlineData("-f -")] // no transaction given
    [InlineData("list tables")]
    [InlineData("-s list ruleset")]
    [InlineData("insert rule inet t c accept")]
    public void AnythingElseRunsAsTheProgram(string arguments) => Assert.Null(LibNftables.Parse(arguments.Split(' '), null));

    [Fact]
    public void ANamespaceThreadRunsEveryCallOnOneThreadOfItsOwn()
    {
        // Entering one's own namespace needs CAP_SYS_ADMIN: as a normal user the failure path is what is tested.
        var thread = new NamespaceThread("/proc/self/ns/net");
        var caller = Environment.CurrentManagedThreadId;
        int first, second;
        try
        {
            first = thread.Run(() => Environment.CurrentManagedThreadId);
            second = thread.Run(() => Environment.CurrentManagedThreadId);
        }
        catch (IOException)
        {
            Assert.NotEqual(0u, Engine.NativeMethods.GetEffectiveUserId());
            return;
        }

        Assert.Equal(first, second);
        Assert.NotEqual(caller, first);
        Assert.Equal("theirs", Assert.Throws<InvalidOperationException>(() => thread.Run<int>(() => throw new InvalidOperationException("theirs"))).Message);
    }

    [Fact]
    public void ANamespaceThreadThatCannotEnterRunsNothing()
    {
        var ran = false;
        var thread = new NamespaceThread("/run/netns/qemunet-no-such-namespace");
        Assert.ThrowsAny<IOException>(() => thread.Run(() => ran = true));
        Assert.False(ran);
    }
}
