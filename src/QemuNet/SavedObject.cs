using System.Collections;
using System.Management.Automation;

namespace QemuNet.Commands;

/// <summary>
/// A pipeline object that lost its type on the way (Import-Clixml, ConvertFrom-Json, Import-Csv, remoting) as the
/// property bag <see cref="Core.Model.SavedSpec"/> rebuilds specs from: nested objects become bags, lists arrays.
/// </summary>
internal static class SavedObject
{
    /// <summary>Whether <paramref name="value"/> is such a bag (a custom or deserialized object, or a hashtable).</summary>
    public static bool IsBag(object? value) => Unwrap(value) is PSObject or IDictionary;

    public static IReadOnlyCollection<string> Names(object value) => Unwrap(value) switch
    {
        PSObject obj => obj.Properties.Select(p => p.Name).ToArray(),
        IDictionary table => table.Keys.Cast<object>().Select(k => k.ToString()!).ToArray(),
        _ => [],
    };

    /// <summary>Whether every property is null or empty text.</summary>
    public static bool IsEmpty(object value)
    {
        var get = Bag(value);
        return Names(value).All(name => get(name) is null or "");
    }

    public static Func<string, object?> Bag(object value) => Unwrap(value) switch
    {
        PSObject obj => name => Value(obj.Properties[name]?.Value),
        IDictionary table => name => Value(table.Keys.Cast<object>().FirstOrDefault(k => string.Equals(k.ToString(), name, StringComparison.OrdinalIgnoreCase)) is { } key ? table[key] : null),
        var other => throw new ArgumentException($"{other} is not a property bag.", nameof(value)),
    };

    /// <summary>The object itself, or the PSObject when it only carries properties (no .NET object of its own).</summary>
    private static object? Unwrap(object? value) => value is PSObject ps && ps.BaseObject is not PSCustomObject ? ps.BaseObject : value;

    private static object? Value(object? value) => Unwrap(value) switch
    {
        null => null,
        string s => s,
        PSObject or IDictionary => Bag(value!),
        IEnumerable items => items.Cast<object?>().Select(Value).ToArray(),
        var other => other,
    };
}
