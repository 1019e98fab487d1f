using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using QemuNet.Core;
using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Commands;

/// <summary>
/// Reads a QEMU command line (the classic -net syntax of old scripts and wikis, or today's -netdev/-device/-nic)
/// into a launch spec of QemuNet's objects. The line is only read, never run through a shell; pipe the result to
/// Start-QemuVm (-WhatIf shows the modern equivalent) or ConvertTo-QemuCommandLine.
/// </summary>
[Cmdlet(VerbsData.ConvertFrom, "QemuCommandLine", DefaultParameterSetName = nameof(CommandLine))]
[OutputType(typeof(QemuLaunchSpec))]
public sealed class ConvertFromQemuCommandLineCommand : QemuCmdlet
{
    /// <summary>The whole line as one string, quoted as a POSIX shell would read it (backslash-newline continues it).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = nameof(CommandLine))]
    [AllowEmptyString]
    public string? CommandLine { get; set; }

    /// <summary>The arguments one string each, as a program receives them (the program name first is allowed).</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ArgumentList))]
    [AllowEmptyCollection]
    public string[]? ArgumentList { get; set; }

    /// <summary>Options QemuNet cannot carry over are an error, instead of a warning listing each.</summary>
    [Parameter]
    public SwitchParameter Strict { get; set; }

    /// <summary>The guest name when the line has no -name (default: vm- and a hash of the line, stable per line).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var text = CommandLine ?? string.Join('\0', ArgumentList ?? []);
        var name = Name ?? "vm-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];
        QemuCommandLineImport import;
        try
        {
            var options = CommandLine is not null ? QemuCommandLineLexer.Options(CommandLine) : QemuCommandLineLexer.Options(ArgumentList ?? []);
            import = QemuCommandLineImporter.Import(options, QemuNicModels.KnownDevices, Name is null ? name : QemuLaunchPlanner.CheckName(Name));
        }
        catch (QemuNetException ex)
        {
            // One bad line of several piped in: the others are still converted.
            WriteError(ToErrorRecord(ex));
            return;
        }

        foreach (var note in import.Superseded)
        {
            WriteVerbose($"Replaced by how QemuNet runs guests: {note}");
        }

        if (import.NotUnderstood.Count > 0)
        {
            var list = string.Join("; ", import.NotUnderstood);
            if (Strict)
            {
                var message = $"The command line has options QemuNet cannot carry over: {list}. Nothing was converted.";
                WriteError(new ErrorRecord(new PSArgumentException(message), "CommandLineNotUnderstood", ErrorCategory.InvalidArgument, import.NotUnderstood.ToArray())
                {
                    ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Remove those options, or leave out -Strict to convert the rest with a warning." },
                });
                return;
            }

            WriteWarning($"Not carried over ({import.NotUnderstood.Count}): {list}");
        }

        WriteObject(Name is null ? import.Spec : import.Spec with { Name = Name });
    }
}
