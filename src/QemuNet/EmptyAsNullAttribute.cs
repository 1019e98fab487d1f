using System.Management.Automation;

namespace QemuNet.Commands;

/// <summary>
/// An empty text is a value not given: what an empty CSV cell (Import-Csv) or a null property binds as. Without it
/// PowerShell turns "" into 0 for a number (a boot index of 0 is a real one) and ValidateNotNullOrEmpty refuses the row.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EmptyAsNullAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject ps ? ps.BaseObject : inputData) is string { Length: 0 } ? null : inputData;
}
