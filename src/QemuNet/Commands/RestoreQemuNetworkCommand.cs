using System.Management.Automation;
using QemuNet.Core;
using QemuNet.Core.Bridge;
using QemuNet.Core.Engine;
using QemuNet.Core.Host;
using QemuNet.Core.Model;
using QemuNet.Core.Nat;

namespace QemuNet.Commands;

/// <summary>
/// Brings every autostart definition back (after a reboot, from a systemd unit): each network through the engine as
/// Enable-QemuNat would, with its reservations, forwards and DNS records; nothing changes for one that is up as
/// defined. Each is reported as an object; a definition that cannot be brought up is an error, and the rest go on.
/// </summary>
[Cmdlet(VerbsData.Restore, "QemuNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QemuNatNetwork), typeof(QemuBridge))]
public sealed class RestoreQemuNetworkCommand : QemuCmdlet
{
    /// <summary>Only the definitions of these networks.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    private string? _networkNamespace;

    /// <summary>Only the definitions of this namespace (by name); an object of the current namespace pipes in with none.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
    [AllowNull]
    [AllowEmptyString]
    public string? NetworkNamespace { get => _networkNamespace; set => _networkNamespace = NotGiven(value); }

    protected override void ProcessRecord()
    {
        var store = Invoke(DefinitionStore.Open);
        // Bridges first: a NAT network may name one as its uplink.
        RestoreBridges(store);
        var definitions = Invoke(() => NatManager.ListDefinitions(store))
            .Where(d => NetworkNamespace is null || d.Namespace == NetworkNamespace)
            .Where(d => Name is null || Name.Contains(Path.GetFileNameWithoutExtension(d.File), StringComparer.Ordinal))
            .ToArray();
        var seen = new Dictionary<string, (string Name, string File)>(StringComparer.Ordinal);
        foreach (var (ns, file) in definitions)
        {
            QemuNatNetwork definition;
            try
            {
                definition = NatManager.LoadDefinition(file);
                // Two definitions of one namespace that want the same bridge: one of them was copied or planted.
                var bridgeKey = (ns ?? string.Empty) + "/" + definition.BridgeName;
                if (seen.TryGetValue(bridgeKey, out var first))
                {
                    throw new QemuNetException("NatDefinitionDuplicate", QemuNetErrorCategory.ResourceExists, file,
                        $"The definition '{file}' wants the bridge {definition.BridgeName}, which the definition '{first.File}' of network '{first.Name}' has already.",
                        $"Remove one of the two files; Set-QemuNat -Name {definition.Name} -AutoStart $false removes a definition the module wrote.");
                }

                seen[bridgeKey] = (definition.Name, file);
            }
            catch (QemuNetException ex)
            {
                WriteError(ToErrorRecord(ex));
                continue;
            }

            // One definition that cannot come up (its namespace or uplink missing) is reported; the others still come up.
            var restored = RunOrWriteError(ct => RestoreOneAsync(ns, definition, ct), "*");
            if (restored is not null)
            {
                WriteObject(restored);
            }
        }
    }

    /// <summary>A definition of the host's own namespace comes up there only, not in a namespace this command was started in.</summary>
    private static void CheckHostNamespace(string? ns, string name)
    {
        if (ns is null && DefinitionStore.NamespaceName(NetworkNamespaceId.Current(), name) is { } current)
        {
            throw new QemuNetException("RestoreNotInHostNamespace", QemuNetErrorCategory.InvalidOperation, name,
                $"'{name}' is defined for the host's own network namespace, and this command runs in namespace {current}.",
                "Run Restore-QemuNetwork in the host's namespace (not under 'ip netns exec'); the definitions of named namespaces come up there with -NetworkNamespace.");
        }
    }

    private void RestoreBridges(DefinitionStore store)
    {
        var definitions = Invoke(() => store.List(BridgeManager.Kind))
            .Where(d => NetworkNamespace is null || d.Namespace == NetworkNamespace)
            .Where(d => Name is null || Name.Contains(Path.GetFileNameWithoutExtension(d.File), StringComparer.Ordinal));
        foreach (var (ns, file) in definitions)
        {
            QemuBridge definition;
            try
            {
                definition = BridgeManager.LoadDefinition(file);
            }
            catch (QemuNetException ex)
            {
                WriteError(ToErrorRecord(ex));
                continue;
            }

            if (definition.Uplink is not null)
            {
                // Taking the host's own uplink at boot is the distribution's network configuration's job, not a race with it.
                WriteWarning($"Bridge {definition.Name}{(ns is null ? string.Empty : " in namespace " + ns)} takes over {definition.Uplink}, so it is left to the host's "
                    + $"network configuration at boot: write that with Export-QemuBridgeConfig -Name {definition.Name} -Format Networkd|Ifupdown|NetworkManager.");
                continue;
            }

            var restored = RunOrWriteError(async ct =>
            {
                CheckHostNamespace(ns, definition.Name);
                var host = new HostContext(Runner, ns) { Log = QueueVerbose, Warn = QueueWarning };
                var state = StateDirectory.Open();
                var manager = new BridgeManager(host, state);
                var (outcome, _) = await manager.CreateAsync(definition with { NetworkNamespace = ns, AutoStart = true }, ConfirmStep, IsWhatIf, ct).ConfigureAwait(false);
                return outcome is PlanOutcome.Applied or PlanOutcome.NothingToDo
                    ? (await BridgeInventory.ListAsync(Runner, manager, state, [], ct).ConfigureAwait(false)).FirstOrDefault(b => b.Name == definition.Name)
                    : null;
            }, "*");
            if (restored is not null)
            {
                WriteObject(restored);
            }
        }
    }

    private async Task<QemuNatNetwork?> RestoreOneAsync(string? ns, QemuNatNetwork definition, CancellationToken ct)
    {
        CheckHostNamespace(ns, definition.Name);
        var host = new HostContext(Runner, ns) { Log = QueueVerbose, Warn = QueueWarning };
        var manager = new NatManager(host, StateDirectory.Open());
        return await manager.RestoreAsync(definition, ConfirmStep, IsWhatIf, ct).ConfigureAwait(false);
    }
}
