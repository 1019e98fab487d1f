using System.Management.Automation;
using QemuNet.Core.Bridge;
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

    protected string? ReadAcl()
    {
        Invoke(() => InterfaceName.Check(Bridge, "BridgeAccessNameInvalid"));
        return File.Exists(AclPath) ? File.ReadAllText(AclPath) : null;
    }

    /// <summary>Writes the new text (through a temporary file and a rename, so the helper never reads half a file).</summary>
    protected void WriteAcl(string? current, string next, string action)
    {
        // Nothing to write: the same rules (a missing file and an empty one both allow nothing).
        if ((current ?? string.Empty).TrimEnd('\n') == next.TrimEnd('\n'))
        {
            WriteVerbose($"{AclPath} already says so.");
            return;
        }

        if (!ShouldProcess($"{AclPath}:\n{next.TrimEnd()}", action))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(AclPath)!);
            var temporary = AclPath + ".qemunet-new";
            File.WriteAllText(temporary, next);
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temporary, AclPath, overwrite: true);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "BridgeAccessWriteFailed", ErrorCategory.PermissionDenied, AclPath)
            {
                ErrorDetails = new ErrorDetails($"Cannot write {AclPath}: {ex.Message}") { RecommendedAction = "Run as root (the ACL belongs to root)." },
            });
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
