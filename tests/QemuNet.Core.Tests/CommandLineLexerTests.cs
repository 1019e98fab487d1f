using QemuNet.Core.Qemu;

namespace QemuNet.Core.Tests;

/// <summary>Command lines read as a POSIX shell would, never run; QEMU option strings read back exactly as written.</summary>
public class CommandLineLexerTests
{
    [Fact]
    public void QuotesBackslashesContinuationsAndComments()
    {
        var words = QemuCommandLineLexer.ShellWords("qemu-kvm -name 'a b' \\\n  -append \"console=ttyS0 \\\"x\\\"\" -kernel /boot/vm\\ linuz # the guest\n -m 1G");
        Assert.Equal(["qemu-kvm", "-name", "a b", "-append", "console=ttyS0 \"x\"", "-kernel", "/boot/vm linuz", "-m", "1G"], words.Select(w => w.Text));
        Assert.Equal(9, words[1].Column);
    }

    [Fact]
    public void OptionsKeepWhereTheyStood()
    {
        var options = QemuCommandLineLexer.Options("/usr/libexec/qemu-kvm -enable-kvm --m 512 -net nic");
        Assert.Equal(["-enable-kvm", "-m", "-net"], options.Select(o => o.Name));
        Assert.Equal(["column 23", "column 35", "column 43"], options.Select(o => o.Where));
        var fromArray = QemuCommandLineLexer.Options(["-m", "512", "-nographic"]);
        Assert.Equal(["argument 1", "argument 3"], fromArray.Select(o => o.Where));
        Assert.Null(fromArray[1].Value);
    }

    [Theory]
    [InlineData("-append 'x", "CommandLineQuoteUnbalanced", "'x")]
    [InlineData("-append \"x", "CommandLineQuoteUnbalanced", "\"x")]
    [InlineData("-m $MEM", "CommandLineShellSyntax", "$MEM")]
    [InlineData("-append \"a $(id)\"", "CommandLineShellSyntax", "$(id)\"")]
    [InlineData("-m `cat f`", "CommandLineShellSyntax", "`cat")]
    [InlineData("-m 512 | tee", "CommandLineShellSyntax", "|")]
    [InlineData("-m 512 > log", "CommandLineShellSyntax", ">")]
    [InlineData("-m", "CommandLineValueMissing", "-m")]
    [InlineData("-frobnicate 1", "CommandLineOptionUnknown", "-frobnicate")]
    [InlineData("qemu-kvm ... -m 1", "CommandLineStrayWord", "...")]
    public void RefusedWithTheToken(string line, string errorId, string token)
    {
        var ex = Assert.Throws<QemuNetException>(() => QemuCommandLineLexer.Options(line));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(token, ex.Target);
        Assert.Contains("column ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleQuotesKeepWhatAShellWouldExpand()
    {
        Assert.Equal("$HOME `x`", QemuCommandLineLexer.ShellWords("'$HOME `x`'").Single().Text);
    }

    [Theory]
    [InlineData("file=/a,,b.img,format=raw")]
    [InlineData("user,id=n0,hostfwd=tcp::1-:2,hostfwd=udp::3-:4")]
    [InlineData("tap,ifname=tap1,script=/etc/qemu-ifup,downscript=no")]
    public void OptionStringsReadBackAsBuilt(string text)
    {
        var pairs = QemuOptionPairs.Parse(text, "type");
        Assert.Equal(text, pairs.ToOptionString("type"));
    }

    [Fact]
    public void OptionStringRulesAreQemus()
    {
        var pairs = QemuOptionPairs.Parse("nic,vlan=0,,1,restrict,hostfwd=a,hostfwd=b", "type");
        Assert.Equal("nic", pairs.First("type"));
        Assert.Equal("0,1", pairs.First("vlan"));
        Assert.Equal("on", pairs.First("restrict"));
        Assert.Equal(["a", "b"], pairs.All("hostfwd"));
        Assert.Equal("CommandLineOptionStringInvalid", Assert.Throws<QemuNetException>(() => QemuOptionPairs.Parse("nic,=x", "type")).ErrorId);
    }
}
