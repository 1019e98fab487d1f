using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Security;

namespace QemuNet.Core.Tests;

[CollectionDefinition(nameof(HostedCmdletTests), DisableParallelization = true)]
public sealed class HostedCmdletCollection;

/// <summary>
/// The cmdlets in a PowerShell hosted here, with a host that answers -Confirm prompts as a user would, and counts
/// them: what a user sees after "No", which Pester (no console to answer) cannot show.
/// </summary>
[Collection(nameof(HostedCmdletTests))]
public sealed class HostedCmdletTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qemunet-hosted-").FullName;
    private readonly string? _stateBefore = Environment.GetEnvironmentVariable(Engine.StateDirectory.EnvironmentVariable);

    // The books go to a folder of this test's (the variable is the process's: this collection runs alone).
    public HostedCmdletTests() => Environment.SetEnvironmentVariable(Engine.StateDirectory.EnvironmentVariable, Path.Combine(_dir, "state"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(Engine.StateDirectory.EnvironmentVariable, _stateBefore);
        Directory.Delete(_dir, recursive: true);
    }

    private (Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, AnsweringHost Host) Run(string script, string answer)
    {
        var host = new AnsweringHost(answer);
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(typeof(Commands.StartQemuVmCommand).Assembly.Location);
        using var runspace = RunspaceFactory.CreateRunspace(host, state);
        runspace.Open();
        using var shell = PowerShell.Create(runspace);
        shell.AddScript(script);
        var output = shell.Invoke();
        return (output, shell.Streams.Error.ToArray(), host);
    }

    [Fact]
    public void NoToTheFirstConfirmPromptCancelsThePlanAndNothingMoreIsAsked()
    {
        var up = Path.Combine(_dir, "qemu-ifup");
        var down = Path.Combine(_dir, "qemu-ifdown");
        var (_, _, host) = Run($"Export-QemuIfupScript -Bridge br0 -Path '{up}' -DownPath '{down}' -Confirm", "&No");
        Assert.Equal(1, host.Prompts);
        Assert.False(File.Exists(up));
        Assert.False(File.Exists(down));
    }

    [Fact]
    public void YesToEveryPromptAppliesEveryStep()
    {
        var up = Path.Combine(_dir, "qemu-ifup");
        var down = Path.Combine(_dir, "qemu-ifdown");
        var (_, errors, host) = Run($"Export-QemuIfupScript -Bridge br0 -Path '{up}' -DownPath '{down}' -Confirm", "&Yes");
        Assert.Empty(errors);
        Assert.Equal(2, host.Prompts);
        Assert.True(File.Exists(up));
        Assert.True(File.Exists(down));
    }

    [Fact]
    public void AnObjectThatBindsToNothingStopsStartQemuVm()
    {
        var (output, _, _) = Run("try { [pscustomobject]@{ Foo = 1 } | Start-QemuVm -Name hosted -Accelerator Tcg } catch { $_ }", "&No");
        var error = Assert.IsType<ErrorRecord>(Assert.Single(output).BaseObject);
        Assert.StartsWith("VmInputNotBound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.False(Directory.Exists(Path.Combine(_dir, "state")) && Directory.EnumerateFiles(Path.Combine(_dir, "state"), "*", SearchOption.AllDirectories).Any());
    }

    /// <summary>A host whose user answers every choice with one label (such as "&amp;No") and whose output goes nowhere.</summary>
    private sealed class AnsweringHost(string answer) : PSHost
    {
        private readonly AnsweringUserInterface _ui = new(answer);

        public int Prompts => _ui.Prompts;

        public override string Name => "QemuNet test host";

        public override Version Version => new(1, 0);

        public override Guid InstanceId { get; } = Guid.NewGuid();

        public override PSHostUserInterface UI => _ui;

        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

        public override void EnterNestedPrompt() => throw new NotSupportedException();

        public override void ExitNestedPrompt() => throw new NotSupportedException();

        public override void NotifyBeginApplication()
        {
        }

        public override void NotifyEndApplication()
        {
        }

        public override void SetShouldExit(int exitCode)
        {
        }
    }

    private sealed class AnsweringUserInterface(string answer) : PSHostUserInterface
    {
        public int Prompts { get; private set; }

        public override PSHostRawUserInterface? RawUI => null;

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Prompts++;
            return choices.Select(c => c.Label).ToList().IndexOf(answer) is var i and >= 0 ? i : throw new InvalidOperationException($"No choice {answer}.");
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw new NotSupportedException();

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();

        public override string ReadLine() => throw new NotSupportedException();

        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException();

        public override void Write(string value)
        {
        }

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value)
        {
        }

        public override void WriteLine(string value)
        {
        }

        public override void WriteErrorLine(string value)
        {
        }

        public override void WriteDebugLine(string message)
        {
        }

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override void WriteVerboseLine(string message)
        {
        }

        public override void WriteWarningLine(string message)
        {
        }
    }
}
