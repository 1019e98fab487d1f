namespace QemuNet.Core.Model;

public static class Port
{
    /// <summary>A TCP/UDP port: 1 to 65535. <paramref name="what"/> names it in the message ("host port").</summary>
    public static int Check(int port, string errorId, string what, string recommendedAction)
    {
        if (port is < 1 or > 65535)
        {
            throw new QemuNetException(errorId, QemuNetErrorCategory.InvalidArgument, port,
                $"The {what} {port} is out of range; a port is 1 to 65535.", recommendedAction);
        }

        return port;
    }
}
