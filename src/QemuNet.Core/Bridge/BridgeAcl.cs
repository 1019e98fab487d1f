using System.Text.RegularExpressions;
using QemuNet.Core.Engine;
using QemuNet.Core.Model;

namespace QemuNet.Core.Bridge;

public enum QemuBridgeAclAction
{
    Allow,
    Deny,
    Include,
}

/// <summary>One line of the bridge helper's ACL: allow NAME|all, deny NAME|all, include FILE.</summary>
public sealed class QemuBridgeAclRule
{
    public required QemuBridgeAclAction Action { get; init; }

    /// <summary>A bridge name or "all"; the included file for Include.</summary>
    public required string Value { get; init; }

    public required string File { get; init; }

    public int Line { get; init; }

    public override string ToString() => $"{Action.ToString().ToLowerInvariant()} {Value}";
}

/// <summary>Whether the helper lets non-root users put TAPs on one bridge, and which rules decide it.</summary>
public sealed class QemuBridgeAccess
{
    public required string Bridge { get; init; }

    public bool Allowed { get; init; }

    public IReadOnlyList<QemuBridgeAclRule> Rules { get; init; } = [];

    public string? HelperPath { get; init; }

    /// <summary>Why the helper cannot be used by non-root users (missing, not privileged), or null.</summary>
    public string? HelperProblem { get; init; }
}

/// <summary>
/// The bridge helper's ACL file (/etc/qemu/bridge.conf), read the way qemu-bridge-helper reads it: includes
/// are followed, a matching deny (or deny all) wins over any allow, and nothing allowed means denied.
/// </summary>
public static partial class BridgeAcl
{
    public const string DefaultPath = "/etc/qemu/bridge.conf";

    public static IReadOnlyList<QemuBridgeAclRule> Read(string path) => Read(path, new HashSet<string>(StringComparer.Ordinal));

    public static bool IsAllowed(IReadOnlyList<QemuBridgeAclRule> rules, string bridge)
    {
        bool Matches(QemuBridgeAclRule r) => r.Value == "all" || r.Value == bridge;
        return !rules.Any(r => r.Action == QemuBridgeAclAction.Deny && Matches(r))
            && rules.Any(r => r.Action == QemuBridgeAclAction.Allow && Matches(r));
    }

    public static QemuBridgeAccess Evaluate(string path, string bridge, BridgeHelper? helper)
    {
        var rules = Read(path);
        return new QemuBridgeAccess
        {
            Bridge = bridge,
            Allowed = IsAllowed(rules, bridge),
            Rules = rules.Where(r => r.Action != QemuBridgeAclAction.Include && (r.Value == "all" || r.Value == bridge)).ToArray(),
            HelperPath = helper?.Path,
            HelperProblem = helper is null ? $"qemu-bridge-helper is not installed (looked in {string.Join(", ", BridgeHelper.KnownPaths)})." : helper.ProblemForUsers,
        };
    }

    /// <summary>Stops a change of the ACL before any step when this user cannot write it (it belongs to root).</summary>
    public static void CheckWritable(string path)
    {
        if (HostPrivilege.DecidingFolder(path) is { } folder && !NativeMethods.CanWrite(folder) && NativeMethods.Stat(folder) is { } status)
        {
            throw new QemuNetException(HostPrivilege.ErrorId, QemuNetErrorCategory.PermissionDenied, path,
                $"Cannot change {path}: its folder {folder} belongs to user id {status.Owner}, and this process is not root.",
                "Run as root (the ACL belongs to root): sudo pwsh, then the same command.");
        }
    }

    /// <summary>The main file's text with an allow line for <paramref name="bridge"/> and without its deny lines.</summary>
    public static string Grant(string? text, string bridge)
    {
        InterfaceName.Check(bridge, "BridgeAccessNameInvalid");
        var lines = Lines(text).Where(l => !IsRule(l, "deny", bridge)).ToList();
        if (!lines.Any(l => IsRule(l, "allow", bridge)))
        {
            lines.Add($"allow {bridge}");
        }

        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// The main file's text without allow lines for <paramref name="bridge"/>; when access would still come
    /// from "allow all" or an included file, a deny line is added so the revoke holds.
    /// </summary>
    public static string Revoke(string? text, string bridge, Func<string, IReadOnlyList<QemuBridgeAclRule>> readIncluded)
    {
        InterfaceName.Check(bridge, "BridgeAccessNameInvalid");
        var lines = Lines(text).Where(l => !IsRule(l, "allow", bridge)).ToList();
        var rules = Parse(string.Join('\n', lines), "(new)", readIncluded);
        if (IsAllowed(rules, bridge))
        {
            lines.Add($"deny {bridge}");
        }

        return string.Join('\n', lines) + "\n";
    }

    private static IReadOnlyList<QemuBridgeAclRule> Read(string path, HashSet<string> seen)
    {
        if (!seen.Add(path) || !System.IO.File.Exists(path))
        {
            return [];
        }

        return Parse(System.IO.File.ReadAllText(path), path, included => Read(included, seen));
    }

    private static List<QemuBridgeAclRule> Parse(string text, string file, Func<string, IReadOnlyList<QemuBridgeAclRule>> readIncluded)
    {
        var rules = new List<QemuBridgeAclRule>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var match = RulePattern().Match(raw);
            if (!match.Success)
            {
                continue;
            }

            var action = Enum.Parse<QemuBridgeAclAction>(match.Groups[1].Value, ignoreCase: true);
            var value = match.Groups[2].Value;
            rules.Add(new QemuBridgeAclRule { Action = action, Value = value, File = file, Line = number });
            if (action == QemuBridgeAclAction.Include)
            {
                rules.AddRange(readIncluded(value));
            }
        }

        return rules;
    }

    private static IEnumerable<string> Lines(string? text) =>
        (text ?? string.Empty).Split('\n').Select(l => l.TrimEnd('\r')).Reverse().SkipWhile(l => l.Length == 0).Reverse();

    private static bool IsRule(string line, string action, string bridge) =>
        RulePattern().Match(line) is { Success: true } m && m.Groups[1].Value.Equals(action, StringComparison.OrdinalIgnoreCase) && m.Groups[2].Value == bridge;

    [GeneratedRegex(@"^\s*(allow|deny|include)\s+(\S+)\s*(?:#.*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RulePattern();
}
