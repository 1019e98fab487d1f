using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;

namespace QemuNet.Commands;

/// <summary>Completes -Model from the installed QEMU (its answer is cached), falling back to the names the module knows.</summary>
public sealed class NicModelCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal) { QemuNicModels.DefaultModel };
        try
        {
            var qemu = QemuBinary.Resolve(fakeBoundParameters["QemuPath"] as string);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            foreach (var model in QemuCapabilities.ProbeAsync(new CliProcessRunner(), qemu, cts.Token).GetAwaiter().GetResult().NicModels)
            {
                names.Add(model.Name);
                names.Add(model.Device);
            }
        }
        catch (Exception ex) when (ex is QemuNet.Core.QemuNetException or OperationCanceledException or IOException)
        {
            names.UnionWith(QemuNicModels.SeedModels);
            names.UnionWith(QemuNicModels.KnownDevices);
        }

        return Completion.Matching(names, wordToComplete);
    }
}
