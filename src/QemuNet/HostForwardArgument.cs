using System.Collections;
using System.Management.Automation;
using QemuNet.Core.Model;

namespace QemuNet.Commands;

/// <summary>A host forward as users write it: QEMU's "tcp:127.0.0.1:8080-:80", "8080:80", a forward object, or a hashtable.</summary>
internal static class HostForwardArgument
{
    public static QemuHostForward Convert(object value)
    {
        var raw = Unwrap(value)!;
        Func<string, object?>? property = raw switch
        {
            IDictionary table => key => table.Contains(key) ? Unwrap(table[key]) : null,
            PSCustomObject => key => Unwrap(((PSObject)value).Properties[key]?.Value),
            _ => null,
        };
        return QemuHostForward.From(raw, property);
    }

    private static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;
}
