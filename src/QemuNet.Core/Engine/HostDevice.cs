namespace QemuNet.Core.Engine;

public static class HostDevice
{
    /// <summary>Whether this process can open a device node (/dev/kvm, /dev/vhost-net, …) for reading and writing.</summary>
    public static bool CanOpen(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
