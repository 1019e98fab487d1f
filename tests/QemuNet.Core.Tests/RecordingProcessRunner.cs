using QemuNet.Core.Processes;

namespace QemuNet.Core.Tests;

/// <summary>Records each call and answers from a script: the test double for golden tests of exact command lines.</summary>
public sealed class RecordingProcessRunner : IProcessRunner
{
    private readonly Func<string, IReadOnlyList<string>, ProcessResult> _answer;

    public RecordingProcessRunner(Func<string, IReadOnlyList<string>, ProcessResult>? answer = null) =>
        _answer = answer ?? ((_, _) => new ProcessResult(0, string.Empty, string.Empty));

    public List<(string FileName, IReadOnlyList<string> Arguments, string? StandardInput)> Calls { get; } = [];

    public Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null)
    {
        Calls.Add((fileName, arguments.ToArray(), standardInput));
        return Task.FromResult(_answer(fileName, arguments));
    }
}
