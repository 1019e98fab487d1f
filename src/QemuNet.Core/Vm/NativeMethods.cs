using System.Runtime.InteropServices;

namespace QemuNet.Core.Vm;

public static class NativeMethods
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain on an int-only call.
    public static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint GetEffectiveUserId();
#pragma warning restore SYSLIB1054
}
