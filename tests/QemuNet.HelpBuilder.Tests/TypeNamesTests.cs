using System.Management.Automation;

namespace QemuNet.HelpBuilder.Tests;

public class TypeNamesTests
{
    public static TheoryData<Type, string> Names => new()
    {
        { typeof(string), "String" },
        { typeof(int?), "Int32" },
        { typeof(int?[]), "Int32[]" },
        { typeof(string[]), "String[]" },
        { typeof(int[,]), "Int32[,]" },
        { typeof(SwitchParameter), "SwitchParameter" },
        { typeof(List<string>), "List[String]" },
        { typeof(Dictionary<string, long?>), "Dictionary[String, Int64]" },
        { typeof(KeyValuePair<string, int[]>[]), "KeyValuePair[String, Int32[]][]" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void TypesAreNamedAsHelpShowsThem(Type type, string expected) => Assert.Equal(expected, TypeNames.Of(type));
}
