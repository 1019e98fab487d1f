using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QemuNet.Core.Qemu;

/// <summary>
/// The module's one QEMU Machine Protocol client: a connection to a guest's QMP socket, capabilities negotiated,
/// commands sent with ids and matched to their replies, events kept until asked for, and HMP passthrough
/// (human-monitor-command) for what QMP has no command for.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;
    private readonly Queue<JsonObject> _events = new();
    private readonly string _vm;
    private int _nextId;

    private QmpClient(Socket socket, string vm)
    {
        _socket = socket;
        _vm = vm;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(stream, new UTF8Encoding(false));
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>What QEMU says it is in its greeting (e.g. 7.2.22).</summary>
    public string QemuVersion { get; private set; } = string.Empty;

    /// <summary>Connects to <paramref name="socketPath"/> and leaves capabilities negotiation mode; QmpUnreachable when it cannot.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, string vm, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        QmpClient? client = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            client = new QmpClient(socket, vm);
            var greeting = await client.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (greeting["QMP"]?["version"]?["qemu"] is JsonObject version)
            {
                client.QemuVersion = string.Create(CultureInfo.InvariantCulture, $"{version["major"]}.{version["minor"]}.{version["micro"]}");
            }

            await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (Exception ex) when (ex is SocketException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw new QemuNetException("QmpUnreachable", QemuNetErrorCategory.ResourceUnavailable, vm,
                $"The QMP socket {socketPath} of VM '{vm}' does not answer: {ex.Message}",
                "Check that the VM runs (Get-QemuVm); a QEMU started by hand has no QMP socket of the module.", ex);
        }
    }

    /// <summary>Runs a QMP command and returns its "return" value; a QEMU error becomes a <see cref="QmpCommandException"/>.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var id = "qemunet-" + (++_nextId).ToString(CultureInfo.InvariantCulture);
        var message = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            message["arguments"] = arguments.DeepClone();
        }

        message["id"] = id;
        await _writer.WriteLineAsync(message.ToJsonString().AsMemory(), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var reply = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (reply.ContainsKey("event"))
            {
                _events.Enqueue(reply);
                continue;
            }

            if (reply["id"]?.GetValue<string>() != id)
            {
                continue;
            }

            if (reply["error"] is JsonObject error)
            {
                throw new QmpCommandException(_vm, command, error["class"]?.GetValue<string>() ?? "GenericError", error["desc"]?.GetValue<string>() ?? error.ToJsonString());
            }

            return reply["return"];
        }
    }

    /// <summary>
    /// Runs an HMP command line through human-monitor-command. HMP reports failure as text inside a normal
    /// return: with <paramref name="succeeded"/>, text it does not accept is the error (empty text: the command printed nothing).
    /// </summary>
    public async Task<string> HumanAsync(string commandLine, Func<string, bool>? succeeded, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = commandLine }, cancellationToken).ConfigureAwait(false);
        var text = result?.GetValue<string>().Replace("\r\n", "\n", StringComparison.Ordinal) ?? string.Empty;
        if (succeeded is not null && !succeeded(text.Trim()))
        {
            throw new QmpCommandException(_vm, commandLine, "HumanMonitorError", text.Trim());
        }

        return text;
    }

    /// <summary>The first event named <paramref name="name"/> that <paramref name="match"/> accepts (events read before count too); null on timeout.</summary>
    public async Task<JsonObject?> WaitForEventAsync(string name, Func<JsonObject, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        while (_events.TryDequeue(out var queued))
        {
            if (queued["event"]?.GetValue<string>() == name && match(queued))
            {
                return queued;
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var message = await ReadMessageAsync(cts.Token).ConfigureAwait(false);
                if (message["event"]?.GetValue<string>() == name && match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _reader.Dispose();
        _socket.Dispose();
    }

    /// <summary>Sends `quit`; false when the socket cannot be reached or does not answer in time.</summary>
    public static Task<bool> TryQuitAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken) =>
        TryExecuteAsync(socketPath, "quit", timeout, cancellationToken);

    /// <summary>Presses the guest's ACPI power button (`system_powerdown`); false when QMP cannot be reached in time.</summary>
    public static Task<bool> TryPowerDownAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken) =>
        TryExecuteAsync(socketPath, "system_powerdown", timeout, cancellationToken);

    private static async Task<bool> TryExecuteAsync(string socketPath, string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await using var client = await ConnectAsync(socketPath, string.Empty, cts.Token).ConfigureAwait(false);
            await client.ExecuteAsync(command, null, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is QemuNetException or SocketException or IOException or OperationCanceledException or JsonException
                                   && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<JsonObject> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("QMP closed the connection.");
        return JsonNode.Parse(line) as JsonObject ?? throw new JsonException("A QMP message is not a JSON object: " + line);
    }
}

/// <summary>QEMU refused a QMP command: its error class (e.g. DeviceNotFound, GenericError) and its own text.</summary>
public sealed class QmpCommandException(string vm, string command, string errorClass, string description)
    : Exception($"QEMU refused '{command}' for VM '{vm}': {description}")
{
    public string Vm { get; } = vm;

    public string Command { get; } = command;

    public string ErrorClass { get; } = errorClass;

    /// <summary>QEMU's own message (QMP's desc, or the text HMP printed).</summary>
    public string Description { get; } = description;
}
