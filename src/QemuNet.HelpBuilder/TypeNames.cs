namespace QemuNet.HelpBuilder;

/// <summary>Type names as help shows them: short names, String[] for arrays, List[String] for generics.</summary>
public static class TypeNames
{
    public static string Of(Type type)
    {
        // An optional value type is a parameter that may be left out, which help already says; the reader wants Int32.
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Of(underlying);
        }
        if (type.IsArray)
        {
            return $"{Of(type.GetElementType()!)}[{new string(',', type.GetArrayRank() - 1)}]";
        }
        var name = type.Name;
        var arity = name.IndexOf('`');
        if (arity >= 0)
        {
            name = name[..arity];
        }
        return type.IsGenericType ? $"{name}[{string.Join(", ", type.GetGenericArguments().Select(Of))}]" : name;
    }
}
