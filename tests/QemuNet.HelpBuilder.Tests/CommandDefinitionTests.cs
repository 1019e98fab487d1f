using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace QemuNet.HelpBuilder.Tests;

public class CommandDefinitionTests
{
    [Cmdlet(VerbsCommon.Get, "Widget", DefaultParameterSetName = "ByName")]
    public sealed class GetWidgetCommand : PSCmdlet
    {
        [Parameter(ParameterSetName = "ByName", Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("WidgetName")]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipeline = true)]
        public int Id { get; set; }

        [Parameter]
        public int? Count { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }
    }

    private static CommandDefinition Read()
    {
        var state = InitialSessionState.CreateDefault2();
        state.Commands.Add(new SessionStateCmdletEntry("Get-Widget", typeof(GetWidgetCommand), null));
        using var shell = PowerShell.Create(state);
        var cmdlet = shell.AddCommand("Get-Command").AddArgument("Get-Widget").Invoke<CmdletInfo>().Single();
        return CommandDefinition.FromCmdlet(cmdlet);
    }

    [Fact]
    public void DescribesTheCmdletWithoutCommonParameters()
    {
        var command = Read();
        Assert.Equal(("Get-Widget", "Get", "Widget"), (command.Name, command.Verb, command.Noun));
        Assert.Equal(["Count", "Force", "Id", "Name"], command.Parameters.Select(p => p.Name).Order());
        var name = command.Parameters.Single(p => p.Name == "Name");
        Assert.Equal(["WidgetName"], name.Aliases);
        Assert.True(name.SupportsWildcards);
        Assert.Equal(new ParameterBinding("Name", false, 0, false, true), name.Binding);
        Assert.Equal("Int32", TypeNames.Of(command.Parameters.Single(p => p.Name == "Count").Type));
    }

    [Fact]
    public void DescribesEachParameterSetWithPowerShellsSyntax()
    {
        var byId = Read().ParameterSets.Single(s => s.Name == "ById");
        Assert.Equal("Get-Widget -Id <int> [-Count <int>] [-Force] [<CommonParameters>]", byId.Syntax);
        Assert.Equal(new ParameterBinding("Id", true, null, true, false), byId.Parameters.Single(p => p.Name == "Id"));
        Assert.DoesNotContain(byId.Parameters, p => p.Name == "Verbose");
    }
}
