using System.Runtime.InteropServices;
using QemuNet.Core.Processes;

namespace QemuNet.Core.Engine;

/// <summary>
/// nft's own library (libnftables, which the nft program is a thin shell around) in this process: the same parser,
/// the same netlink transaction, the same JSON, without starting a program. Its netlink socket is made by
/// nft_ctx_new, so a context made and used on a thread that entered a network namespace works in that namespace.
/// </summary>
public static class LibNftables
{
    private const string Library = "libnftables.so.1";
    internal const uint OutputHandle = 1 << 3;
    internal const uint OutputJson = 1 << 4;
    internal const uint OutputEcho = 1 << 5;
    private const int NetlinkNetfilter = 12;

    // The library keeps some process-wide state (its allocator hooks, the parser's tables): one call at a time.
    private static readonly Lock Gate = new();
    private static bool? _available;

    /// <summary>Whether the library can be loaded here; when not, nft runs as a program.</summary>
    public static bool Available
    {
        get
        {
            lock (Gate)
            {
                return _available ??= NativeLibrary.TryLoad(Library, typeof(LibNftables).Assembly, null, out _);
            }
        }
    }

    /// <summary>What a command line asks of the library: output flags, and a file to run or a text to run.</summary>
    public sealed record Call(uint Flags, string? File, string? Text);

    /// <summary>
    /// The nft command lines the module uses, as calls: `[-j] [-e] [-a] list ruleset`, `… -f FILE`, `-f -` with the
    /// transaction as <paramref name="standardInput"/>, and `delete table FAMILY NAME`. Null for anything else
    /// (which then runs as a program).
    /// </summary>
    public static Call? Parse(IReadOnlyList<string> arguments, string? standardInput)
    {
        uint flags = 0;
        var at = 0;
        for (; at < arguments.Count && arguments[at] is "-j" or "-e" or "-a"; at++)
        {
            flags |= arguments[at] switch { "-j" => OutputJson, "-e" => OutputEcho, _ => OutputHandle };
        }

        var rest = arguments.Skip(at).ToArray();
        return rest switch
        {
            ["-f", "-"] => standardInput is null ? null : new Call(flags, null, standardInput),
            ["-f", var file] => new Call(flags, file, null),
            ["list", "ruleset"] or ["delete", "table", _, _] => new Call(flags, null, string.Join(' ', rest)),
            _ => null,
        };
    }

    /// <summary>
    /// Runs <paramref name="call"/> in the calling thread's namespace; the result reads as the program's would (0 or
    /// 1, output, errors). Null when no netfilter socket opens here: then the program does the work.
    /// </summary>
    public static ProcessResult? Run(Call call)
    {
        lock (Gate)
        {
            // The library ends the whole process (exit) when it cannot open its netfilter socket: open one first,
            // and leave the work to the program when that fails.
            if (!NetfilterSocketOpens())
            {
                return null;
            }

            var context = NewContext(0);
            if (context == IntPtr.Zero)
            {
                return new ProcessResult(1, string.Empty, "libnftables: nft_ctx_new failed (no netlink socket?)");
            }

            try
            {
                SetOutputFlags(context, call.Flags);
                BufferOutput(context);
                BufferError(context);
                var rc = call.File is null
                    ? RunCommandFromBuffer(context, System.Text.Encoding.UTF8.GetBytes(call.Text + "\0"))
                    : RunCommandFromFilename(context, call.File);
                return new ProcessResult(rc == 0 ? 0 : 1, Marshal.PtrToStringUTF8(GetOutputBuffer(context)) ?? string.Empty,
                    Marshal.PtrToStringUTF8(GetErrorBuffer(context)) ?? string.Empty);
            }
            finally
            {
                FreeContext(context);
            }
        }
    }

    private static bool NetfilterSocketOpens()
    {
        var fd = NativeMethods.NetlinkSocket(NetlinkNetfilter);
        if (fd < 0)
        {
            return false;
        }

        NativeMethods.Close(fd);
        return true;
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain on these calls.
    [DllImport(Library, EntryPoint = "nft_ctx_new")]
    private static extern IntPtr NewContext(uint flags);

    [DllImport(Library, EntryPoint = "nft_ctx_free")]
    private static extern void FreeContext(IntPtr context);

    [DllImport(Library, EntryPoint = "nft_ctx_output_set_flags")]
    private static extern void SetOutputFlags(IntPtr context, uint flags);

    [DllImport(Library, EntryPoint = "nft_ctx_buffer_output")]
    private static extern int BufferOutput(IntPtr context);

    [DllImport(Library, EntryPoint = "nft_ctx_buffer_error")]
    private static extern int BufferError(IntPtr context);

    [DllImport(Library, EntryPoint = "nft_ctx_get_output_buffer")]
    private static extern IntPtr GetOutputBuffer(IntPtr context);

    [DllImport(Library, EntryPoint = "nft_ctx_get_error_buffer")]
    private static extern IntPtr GetErrorBuffer(IntPtr context);

    [DllImport(Library, EntryPoint = "nft_run_cmd_from_buffer")]
    private static extern int RunCommandFromBuffer(IntPtr context, byte[] buffer);

    [DllImport(Library, EntryPoint = "nft_run_cmd_from_filename")]
    private static extern int RunCommandFromFilename(IntPtr context, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);
#pragma warning restore SYSLIB1054
}
