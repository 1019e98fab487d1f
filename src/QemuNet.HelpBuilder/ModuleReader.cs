using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace QemuNet.HelpBuilder;

/// <summary>Imports a module into a private PowerShell runspace and describes its exported cmdlets.</summary>
public static class ModuleReader
{
    public static IReadOnlyList<CommandDefinition> ReadCmdlets(string manifestPath)
    {
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using var shell = PowerShell.Create(runspace);
        var module = shell.AddCommand("Import-Module").AddParameter("Name", Path.GetFullPath(manifestPath)).AddParameter("PassThru")
            .AddParameter("ErrorAction", ActionPreference.Stop).Invoke<PSModuleInfo>().Single();
        return [.. module.ExportedCmdlets.Values.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(CommandDefinition.FromCmdlet)];
    }
}
