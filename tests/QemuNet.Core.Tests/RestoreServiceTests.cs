using QemuNet.Core.Service;

namespace QemuNet.Core.Tests;

public sealed class RestoreServiceTests
{
    [Fact]
    public void TheUnitRunsRestoreAfterTheNetworkIsOnline() =>
        Golden.AssertMatches("service/qemunet-restore.service",
            RestoreService.Render(["/usr/share/dotnet/dotnet", "/opt/power shell/pwsh.dll"], "/usr/local/share/powershell/Modules", "/etc/qemunet-lab"));

    [Theory]
    [InlineData("relative/pwsh")]
    [InlineData("/usr/bin/pw\"sh")]
    [InlineData("/usr/bin/$(reboot)")]
    [InlineData("/usr/bin/%n")]
    [InlineData("/usr/bin/a\\b")]
    [InlineData("/usr/bin/a\nExecStartPre=/bin/rm")]
    public void PathsAUnitLineWouldMisreadAreRefused(string path)
    {
        var e = Assert.Throws<QemuNetException>(() => RestoreService.Render([path], "/usr/local/share/powershell/Modules", null));
        Assert.Equal("ServicePathInvalid", e.ErrorId);
        Assert.Equal(path, e.Target);
    }
}
