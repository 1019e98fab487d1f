using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace QemuNet.Core.Processes;

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs programs with an argument array; never through a shell.</summary>
public interface IProcessRunner
{
    Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null);
}

/// <summary>The real runner, on CliWrap. Every command line goes to <see cref="Log"/> before it runs.</summary>
public sealed class CliProcessRunner : IProcessRunner
{
    public CliProcessRunner(Action<string>? log = null) => Log = log;

    public Action<string>? Log { get; }

    public async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null)
    {
        Log?.Invoke(CommandLine.Format(fileName, arguments));
        // One lookup for every program the module runs, so a tool the preflight finds in sbin is also the one run.
        var command = Cli.Wrap(ProgramPath.Resolve(fileName))
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None);
        if (standardInput is not null)
        {
            command = command.WithStandardInputPipe(PipeSource.FromString(standardInput, Encoding.UTF8));
        }

        try
        {
            var result = await command.ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
            return new ProcessResult(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new QemuNetException("ProgramNotFound", QemuNetErrorCategory.ObjectNotFound, fileName,
                $"Cannot run '{fileName}': {ex.Message}.",
                $"Install {fileName} or put it on PATH; run Test-QemuNetHost to see which tools are missing.", inner: ex);
        }
    }
}

public static class CommandLine
{
    /// <summary>A readable, copy-pasteable rendering for logs and -WhatIf (POSIX single quotes); never executed.</summary>
    public static string Format(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));

    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+".Contains(c))
            ? word
            : QuoteAlways(word);

    /// <summary>POSIX single quotes: nothing inside is special except the quote itself.</summary>
    public static string QuoteAlways(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
