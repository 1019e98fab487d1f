using System.Globalization;
using System.Text.Json;

namespace QemuNet.Core.Model;

/// <summary>
/// Rebuilds spec objects from their saved forms (Import-Clixml, ConvertFrom-Json, remoting, CSV rows), which keep
/// the properties but not the type. The saved form is a property bag: values are text, numbers, booleans, nested
/// bags (<see cref="Func{T, TResult}"/> of a property name) or lists; an empty text is a value not given (a CSV
/// cell). Everything goes through the same checks as the New- cmdlets, so a hand-edited file cannot slip past them.
/// </summary>
public static class SavedSpec
{
    /// <summary>The kind of spec a bag with these property names holds; null when it is none of them.</summary>
    public static Type? KindOf(IReadOnlyCollection<string> names)
    {
        bool Has(string name) => names.Contains(name, StringComparer.OrdinalIgnoreCase);
        return Has("Kind") && (Has("IfName") || Has("Restrict") || Has("Mode")) ? typeof(QemuNetBackend)
            : Has("BridgeName") && Has("Subnet") && Has("Gateway") ? typeof(QemuNatNetwork)
            : Has("Model") ? typeof(QemuNic)
            : null;
    }

    public static QemuNic Nic(Func<string, object?> get, IReadOnlyCollection<string> knownModels) =>
        QemuNic.Create(Text(get, "Model") ?? QemuNicModels.DefaultModel, Text(get, "MacAddress"), Text(get, "Id"), Text(get, "PciAddress"),
            Int(get, "Vectors"), Int(get, "BootIndex"), NicBackend(get("Backend"), Text(get, "BackendSpec")), knownModels);

    /// <summary>
    /// A backend as one line of JSON, the NIC's BackendSpec property: a CSV cell holds only text (Export-Csv writes
    /// a nested object's ToString), and this is text a NIC's backend can be rebuilt from.
    /// </summary>
    public static string? ToText(QemuNetBackend? backend)
    {
        var properties = new Dictionary<string, object?>();
        switch (backend)
        {
            case null:
                return null;
            case QemuUserNet user:
                properties["Kind"] = nameof(QemuBackendKind.User);
                properties["Id"] = user.Id;
                properties["Restrict"] = user.Restrict;
                properties["Subnet"] = user.Subnet;
                properties["DhcpStart"] = user.DhcpStart;
                properties["Dns"] = user.Dns;
                properties["HostName"] = user.HostName;
                properties["DomainName"] = user.DomainName;
                properties["HostForward"] = user.HostForward.Select(f => f.ToString()).ToArray();
                properties["Hub"] = user.Hub;
                break;
            case QemuSocketNet socket:
                properties["Kind"] = nameof(QemuBackendKind.Socket);
                properties["Id"] = socket.Id;
                properties["Mode"] = socket.Mode.ToString();
                properties["Address"] = socket.Address;
                properties["LocalAddress"] = socket.LocalAddress;
                properties["Hub"] = socket.Hub;
                break;
            case QemuTapNet tap:
                properties["Kind"] = nameof(QemuBackendKind.Tap);
                properties["Id"] = tap.Id;
                properties["IfName"] = tap.IfName;
                properties["Bridge"] = tap.Bridge;
                properties["NetworkNamespace"] = tap.NetworkNamespace;
                properties["Script"] = tap.Script;
                properties["DownScript"] = tap.DownScript;
                properties["Helper"] = tap.Helper;
                properties["Fd"] = tap.Fd;
                properties["SndBuf"] = tap.SndBuf;
                properties["VnetHdr"] = tap.VnetHdr;
                properties["Hub"] = tap.Hub;
                properties["Vhost"] = tap.Vhost.ToString();
                properties["Queues"] = tap.Queues;
                break;
        }

        return JsonSerializer.Serialize(properties.Where(p => p.Value is not null).ToDictionary());
    }

    /// <summary>The bag a <see cref="ToText"/> line stands for.</summary>
    public static Func<string, object?> FromText(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var values = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => Value(p.Value), StringComparer.OrdinalIgnoreCase);
            return name => values.GetValueOrDefault(name);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new QemuNetException("SpecValueInvalid", QemuNetErrorCategory.InvalidData, text, $"The saved BackendSpec '{text}' is not a backend's JSON text: {ex.Message}",
                "Save the NIC again (its BackendSpec property is written for you), or leave BackendSpec empty for the default network.");
        }

        static object? Value(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.GetInt64(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Array => element.EnumerateArray().Select(Value).ToArray(),
            JsonValueKind.Null => null,
            _ => throw new InvalidOperationException($"a {element.ValueKind} where a value belongs"),
        };
    }

    /// <summary>
    /// A NIC's saved backend: a bag (Clixml, JSON), or in a CSV row only its text, rebuilt then from the row's
    /// BackendSpec. Text without one ("user", the default network, aside) cannot be rebuilt, so it is refused rather
    /// than silently put on the default network.
    /// </summary>
    private static QemuNetBackend? NicBackend(object? value, string? spec) => value switch
    {
        Func<string, object?> bag => Backend(bag),
        _ when spec is not null => Backend(FromText(spec)),
        null or "" or "user" => null,
        _ => throw new QemuNetException("SpecBackendNotSaved", QemuNetErrorCategory.InvalidData, value,
            $"The saved NIC's backend is only the text '{value}' (a CSV row keeps no nested objects) and the row has no BackendSpec, so it cannot be rebuilt.",
            "Save the NIC objects themselves (Export-Clixml, ConvertTo-Json or Export-Csv: they carry BackendSpec), or pipe the backend to New-QemuNic."),
    };

    public static QemuNetBackend Backend(Func<string, object?> get)
    {
        var kindText = Text(get, "Kind");
        if (!System.Enum.TryParse<QemuBackendKind>(kindText, ignoreCase: true, out var kind) || !System.Enum.IsDefined(kind))
        {
            throw new QemuNetException("SpecKindUnknown", QemuNetErrorCategory.InvalidData, kindText,
                $"The saved backend's Kind '{kindText}' is not User, Tap or Socket.", "Save the backend again from New-QemuUserNet, New-QemuTap or New-QemuSocketNet.");
        }

        return kind switch
        {
            QemuBackendKind.User => QemuUserNet.Create(Text(get, "Id"), Bool(get, "Restrict") ?? false, Text(get, "Subnet"), Text(get, "DhcpStart"), Text(get, "Dns"),
                Text(get, "HostName"), Text(get, "DomainName"),
                List(get("HostForward")).SelectMany(Forwards).ToArray(), Int(get, "Hub")),
            QemuBackendKind.Socket => QemuSocketNet.Create(Text(get, "Id"), EnumValue<QemuSocketMode>(get, "Mode") ?? throw Invalid("Mode", "(none)", "Listen, Connect, Mcast or Udp"),
                Text(get, "Address") ?? string.Empty, Text(get, "LocalAddress"), Int(get, "Hub")),
            _ => new QemuTapNet
            {
                Id = Text(get, "Id"),
                IfName = Text(get, "IfName"),
                Bridge = Text(get, "Bridge"),
                NetworkNamespace = Text(get, "NetworkNamespace"),
                Script = Text(get, "Script"),
                DownScript = Text(get, "DownScript"),
                Helper = Text(get, "Helper"),
                Fd = Int(get, "Fd"),
                SndBuf = Long(get, "SndBuf"),
                VnetHdr = Bool(get, "VnetHdr"),
                Hub = Int(get, "Hub"),
                Vhost = EnumValue<QemuVhostMode>(get, "Vhost") ?? QemuVhostMode.Auto,
                Queues = Int(get, "Queues"),
            }.Validate(),
        };
    }

    /// <summary>A saved forward: a bag, or QEMU's text of one or (a CSV cell) several, comma-separated.</summary>
    private static IEnumerable<QemuHostForward> Forwards(object? value) => value switch
    {
        string text => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(QemuHostForward.Parse),
        _ => [QemuHostForward.From(value!, value as Func<string, object?>)],
    };

    private static string? Text(Func<string, object?> get, string name) => get(name) switch
    {
        null => null,
        string s => s.Length == 0 ? null : s,
        var v => Convert.ToString(v, CultureInfo.InvariantCulture),
    };

    private static long? Long(Func<string, object?> get, string name) =>
        Text(get, name) is { } text
            ? long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(name, text, "a whole number")
            : null;

    private static int? Int(Func<string, object?> get, string name) =>
        Long(get, name) is { } n ? n is >= int.MinValue and <= int.MaxValue ? (int)n : throw Invalid(name, n, "a whole number") : null;

    private static bool? Bool(Func<string, object?> get, string name) =>
        Text(get, name) is { } text ? bool.TryParse(text, out var b) ? b : throw Invalid(name, text, "True or False") : null;

    /// <summary>An enum by name or number (ConvertTo-Json writes enums as numbers).</summary>
    private static T? EnumValue<T>(Func<string, object?> get, string name) where T : struct, Enum =>
        Text(get, name) is { } text
            ? System.Enum.TryParse<T>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value) ? value
                : throw Invalid(name, text, string.Join(", ", System.Enum.GetNames<T>()))
            : null;

    private static IEnumerable<object?> List(object? value) => value switch
    {
        null => [],
        string s => s.Length == 0 ? [] : [s],
        System.Collections.IEnumerable items => items.Cast<object?>(),
        _ => [value],
    };

    private static QemuNetException Invalid(string name, object value, string expected) =>
        new("SpecValueInvalid", QemuNetErrorCategory.InvalidData, value, $"The saved {name} '{value}' is not {expected}.",
            $"Correct {name} in the saved object, or make it again with the New- cmdlet.");
}
