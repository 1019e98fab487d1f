using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QemuNet.Core.Engine;
using QemuNet.Core.Qemu;

namespace QemuNet.Core.Vm;

/// <summary>Runs the engine's QMP actions on a guest, and turns QEMU's refusals into the module's stable error ids.</summary>
public static class QmpActions
{
    public static async Task ExecuteAsync(QmpCommand action, CancellationToken ct)
    {
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(action.QmpSocket, action.Vm, ct).ConfigureAwait(false);
            var arguments = action.Arguments is null ? null : JsonNode.Parse(action.Arguments)!.AsObject();
            if (action.Command == "human-monitor-command")
            {
                var success = action.HmpSuccess is null ? null : new Regex(action.HmpSuccess, RegexOptions.CultureInvariant);
                await qmp.HumanAsync(arguments!["command-line"]!.GetValue<string>(), text => success?.IsMatch(text) ?? text.Length == 0, ct).ConfigureAwait(false);
            }
            else
            {
                await qmp.ExecuteAsync(action.Command, arguments, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (action.IgnoreFailure && ex is QmpCommandException or QemuNetException { ErrorId: "QmpUnreachable" })
        {
        }
        catch (QmpCommandException ex)
        {
            throw Map(ex);
        }
    }

    /// <summary>device_del, then DEVICE_DELETED (or the device found gone: the event may have come before this connection).</summary>
    public static async Task UnplugAsync(QmpUnplugDevice action, CancellationToken ct)
    {
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(action.QmpSocket, action.Vm, ct).ConfigureAwait(false);
            if (!await DeviceExistsAsync(qmp, action.DeviceId, ct).ConfigureAwait(false))
            {
                return;
            }

            await qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = action.DeviceId }, ct).ConfigureAwait(false);
            var deadline = DateTime.UtcNow.AddSeconds(action.TimeoutSec);
            while (await qmp.WaitForEventAsync("DEVICE_DELETED", e => e["data"]?["device"]?.GetValue<string>() == action.DeviceId,
                       TimeSpan.FromSeconds(1), ct).ConfigureAwait(false) is null)
            {
                if (!await DeviceExistsAsync(qmp, action.DeviceId, ct).ConfigureAwait(false))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new QemuNetException("VmNicUnplugTimeout", QemuNetErrorCategory.OperationTimeout, action.DeviceId,
                        $"VM '{action.Vm}' did not release the device '{action.DeviceId}' within {action.TimeoutSec} s (no DEVICE_DELETED event). A guest that is still booting, or has no ACPI PCI hot-plug, ignores the request.",
                        "Wait until the guest has booted and run the command again, or stop the VM.");
                }
            }
        }
        catch (Exception ex) when (action.IgnoreFailure && ex is QmpCommandException or QemuNetException { ErrorId: "QmpUnreachable" or "VmNicUnplugTimeout" })
        {
        }
        catch (QmpCommandException ex)
        {
            throw Map(ex);
        }
    }

    /// <summary>Whether the guest has a device of that id.</summary>
    public static async Task<bool> DeviceExistsAsync(QmpClient qmp, string id, CancellationToken ct) =>
        (await PeripheralsAsync(qmp, ct).ConfigureAwait(false)).Any(c => c["name"]?.GetValue<string>() == id);

    /// <summary>The guest's devices that have an id (qom-list of /machine/peripheral: name, and type "child&lt;driver&gt;").</summary>
    public static async Task<IReadOnlyList<JsonObject>> PeripheralsAsync(QmpClient qmp, CancellationToken ct) =>
        (await qmp.ExecuteAsync("qom-list", new JsonObject { ["path"] = "/machine/peripheral" }, ct).ConfigureAwait(false) as JsonArray ?? []).OfType<JsonObject>().ToArray();

    /// <summary>QEMU's refusal as the module's error: the id says what kind, the message keeps QEMU's own words.</summary>
    public static QemuNetException Map(QmpCommandException ex)
    {
        var text = ex.Description;
        var (id, category, hint) = text switch
        {
            _ when text.Contains("does not support hotplugging", StringComparison.Ordinal) =>
                ("VmNicNotHotpluggable", QemuNetErrorCategory.InvalidOperation, "Hot-plug a PCI model such as virtio or e1000; ISA NICs are only given at start."),
            _ when text.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) || text.Contains("duplicate", StringComparison.Ordinal) =>
                ("QmpIdDuplicate", QemuNetErrorCategory.ResourceExists, "Give the NIC, backend or capture another -Id."),
            _ when text.Contains("Could not set up host forwarding rule", StringComparison.Ordinal) =>
                ("VmHostPortInUse", QemuNetErrorCategory.ResourceExists, "Give another host port; find the listener with 'ss -lntup'."),
            _ when ex.ErrorClass == "DeviceNotFound" || text.Contains("not found", StringComparison.Ordinal) =>
                ("QmpObjectNotFound", QemuNetErrorCategory.ObjectNotFound, "List what the guest has with Get-QemuVmNic or Get-QemuNetCapture."),
            _ => ("QmpCommandFailed", QemuNetErrorCategory.InvalidOperation, "Read QEMU's message; -WhatIf shows the exact QMP command."),
        };
        return new QemuNetException(id, category, ex.Vm, ex.Message, hint, ex);
    }
}
