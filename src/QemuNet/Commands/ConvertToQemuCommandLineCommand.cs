using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Model;
using QemuNet.Core.Processes;
using QemuNet.Core.Qemu;
using QemuNet.Core.Vm;

namespace QemuNet.Commands;

/// <summary>
/// Writes a launch spec (or the NICs and backends piped in) as a QEMU command line: today's -netdev/-device syntax,
/// or the classic -net syntax of the seed document for an old binary. Nothing is started.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "QemuCommandLine")]
[OutputType(typeof(string))]
public sealed class ConvertToQemuCommandLineCommand : QemuCmdlet
{
    private readonly List<QemuNic> _nics = [];
    private readonly List<QemuNetBackend> _hubBackends = [];
    private readonly List<QemuLaunchSpec> _specs = [];

    /// <summary>A launch spec (ConvertFrom-QemuCommandLine's), a VM (Get-QemuVm), NICs or backends.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    [Parameter]
    public QemuCommandLineSyntax Syntax { get; set; } = QemuCommandLineSyntax.Auto;

    /// <summary>The version of the QEMU the line is for (Legacy: vlan= before 3.0, name= before 5.1); default: -QemuPath's.</summary>
    [Parameter]
    public Version? QemuVersion { get; set; }

    /// <summary>The binary the line is for: its name starts the line, and its version decides Auto.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? QemuPath { get; set; }

    /// <summary>The arguments one string each (without the program), for `&amp; qemu-system-x86_64 @args`.</summary>
    [Parameter]
    public SwitchParameter AsArray { get; set; }

    /// <summary>The guest name for NICs or backends piped without a spec.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "vm";

    protected override void ProcessRecord()
    {
        switch (InputObject is PSObject ps ? ps.BaseObject : InputObject)
        {
            case QemuLaunchSpec spec:
                _specs.Add(spec);
                break;
            case QemuVm vm:
                _specs.Add(vm.Spec ?? new QemuLaunchSpec { Name = vm.Name, Nics = vm.Nics });
                break;
            case QemuNic nic:
                _nics.Add(nic);
                break;
            case QemuNetBackend { Hub: not null } backend when _nics.Count > 0:
                _hubBackends.Add(backend);
                break;
            case QemuNetBackend backend:
                _nics.Add(new QemuNic { Backend = backend });
                break;
            case var other:
                WriteError(new ErrorRecord(new PSArgumentException($"'{other}' is not a launch spec, a VM, a NIC or a backend."),
                    "CommandLineInputInvalid", ErrorCategory.InvalidArgument, other));
                break;
        }
    }

    protected override void EndProcessing()
    {
        // Each spec or VM is one guest, one line; NICs and backends piped on their own make one more, named -Name.
        if (_nics.Count > 0)
        {
            _specs.Add(new QemuLaunchSpec { Name = Name, Nics = _nics, HubBackends = _hubBackends });
        }

        if (_specs.Count == 0)
        {
            return;
        }

        var program = QemuPath ?? QemuBinary.DefaultProgram;
        var version = QemuVersion;
        if (version is null && (Syntax == QemuCommandLineSyntax.Auto || QemuPath is not null))
        {
            // A bare name is looked up on PATH, as a shell would; a path is taken relative to the current location.
            var qemu = Invoke(() => QemuBinary.Resolve(QemuPath is null || !QemuPath.Contains('/', StringComparison.Ordinal) ? QemuPath
                : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath)));
            version = Run(ct => QemuCapabilities.ProbeAsync(Runner, qemu, ct)).Version;
        }

        var syntax = QemuArgvRenderer.ChooseSyntax(Syntax, version);
        WriteVerbose($"Writing {syntax} syntax for QEMU {version?.ToString() ?? "before 3.0 (with vlan=)"}.");
        foreach (var given in _specs)
        {
            var spec = Invoke(() => QemuLaunchPlanner.Resolve(given));
            var arguments = Invoke(() => QemuArgvRenderer.Guest(spec, spec.Accelerator, syntax, version, headless: false));
            if (AsArray)
            {
                WriteObject(arguments, enumerateCollection: true);
            }
            else
            {
                WriteObject(CommandLine.Format(program, arguments));
            }
        }
    }
}
