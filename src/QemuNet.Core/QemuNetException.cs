namespace QemuNet.Core;

/// <summary>Mirrors the PowerShell ErrorCategory values the module uses, so Core stays free of PowerShell.</summary>
public enum QemuNetErrorCategory
{
    InvalidArgument,
    InvalidData,
    InvalidResult,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    InvalidOperation,
    NotInstalled,
    PermissionDenied,
    OperationTimeout,
    ResourceBusy,
    SecurityError,
}

/// <summary>
/// A failure with a stable error id, a category and the offending value; the cmdlets turn it into an ErrorRecord.
/// </summary>
public sealed class QemuNetException : Exception
{
    public QemuNetException(string errorId, QemuNetErrorCategory category, object? target, string message,
        string recommendedAction, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }

    public QemuNetErrorCategory Category { get; }

    public object? Target { get; }

    public string RecommendedAction { get; }
}
