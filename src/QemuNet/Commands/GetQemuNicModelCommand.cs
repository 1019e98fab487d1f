using System.Management.Automation;
using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Commands;

/// <summary>Lists the NIC models the installed QEMU emulates (the seed's `-net nic,model=?`).</summary>
[Cmdlet(VerbsCommon.Get, "QemuNicModel")]
[OutputType(typeof(QemuNicModel))]
public sealed class GetQemuNicModelCommand : QemuCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NicModelCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    public string? QemuPath { get; set; }

    protected override void EndProcessing()
    {
        var qemu = Invoke(() => QemuBinary.Resolve(QemuPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath)));
        var models = Run(ct => QemuCapabilities.ProbeAsync(Runner, qemu, ct)).NicModels;
        foreach (var name in Name ?? [])
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !models.Any(m => pattern.IsMatch(m.Name) || pattern.IsMatch(m.Device)))
            {
                WriteError(ToErrorRecord(new Core.QemuNetException("NicModelNotFound", Core.QemuNetErrorCategory.ObjectNotFound, name,
                    $"{qemu} does not emulate a NIC model named '{name}'.", "Run Get-QemuNicModel without -Name to list the models it has.")));
            }
        }

        var patterns = (Name ?? ["*"]).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (var model in models.Where(m => patterns.Any(p => p.IsMatch(m.Name) || p.IsMatch(m.Device))))
        {
            WriteObject(model);
        }
    }
}
