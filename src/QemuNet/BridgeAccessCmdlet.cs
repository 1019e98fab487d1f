using System.Management.Automation;
using QemuNet.Core.Bridge;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>Base for the cmdlets that edit the bridge helper's ACL file.</summary>
public abstract class BridgeAccessCmdlet : QemuCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BridgeName", "Name")]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Bridge { get; set; } = string.Empty;

    protected static string AclPath => BridgeAcl.DefaultPath;

    /// <summary>
    /// Changes the ACL through the engine (shown by -WhatIf, confirmed, journaled, atomic). <paramref name="edit"/>
    /// maps the current text (null: no file) to the new one; an ACL left with nothing in it is removed, not kept as an empty file.
    /// </summary>
    protected void ChangeAcl(Func<string?, string> edit, string action)
    {
        Invoke(() => InterfaceName.Check(Bridge, "BridgeAccessNameInvalid"));
        if (!IsWhatIf)
        {
            Invoke(() => { BridgeAcl.CheckWritable(AclPath); return 0; });
        }

        var host = Invoke(() => new HostContext(Runner, (string?)null));
        var store = OpenStore();
        var outcome = Run(ct => HostFiles.RunAsync(store, host, "bridge-acl", current =>
        {
            var text = current[AclPath];
            var next = edit(text);
            if ((text ?? string.Empty).TrimEnd('\n') == next.TrimEnd('\n'))
            {
                return [];
            }

            return [new HostFileChange(AclPath, next.Trim().Length == 0 ? null : next, Action: action)];
        }, [AclPath], ConfirmStep, IsWhatIf, ct));
        if (outcome == PlanOutcome.NothingToDo)
        {
            WriteVerbose($"{AclPath} already says so.");
        }
    }

    protected QemuBridgeAccess Evaluate(string bridge) => BridgeAcl.Evaluate(AclPath, bridge, BridgeHelper.Find());

    protected void WarnAboutHelper()
    {
        if (BridgeHelper.Find() is not { } helper)
        {
            WriteWarning($"QEMU's bridge helper is not installed (looked in {string.Join(", ", BridgeHelper.KnownPaths)}); the ACL has no effect until it is.");
        }
        else if (helper.ProblemForUsers is { } problem)
        {
            WriteWarning(problem);
        }
    }
}
