using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace QemuNet.Core.Vm;

/// <summary>Just enough of the QEMU Machine Protocol to ask a guest to power down, or its QEMU to quit.</summary>
public static class QmpClient
{
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
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };

            await ReadUntilAsync(reader, "QMP", cts.Token).ConfigureAwait(false);
            await writer.WriteLineAsync("""{"execute":"qmp_capabilities"}""").ConfigureAwait(false);
            await ReadUntilAsync(reader, "return", cts.Token).ConfigureAwait(false);
            await writer.WriteLineAsync(JsonSerializer.Serialize(new { execute = command })).ConfigureAwait(false);
            await ReadUntilAsync(reader, "return", cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or JsonException
                                   && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Reads lines until one is a JSON object with <paramref name="member"/>; events in between are skipped.</summary>
    private static async Task ReadUntilAsync(StreamReader reader, string member, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException("QMP closed the connection.");
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                throw new IOException("QMP error: " + error);
            }

            if (document.RootElement.TryGetProperty(member, out _))
            {
                return;
            }
        }
    }
}
