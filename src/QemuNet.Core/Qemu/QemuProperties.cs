using System.Globalization;
using System.Text.Json.Nodes;
using QemuNet.Core.Model;

namespace QemuNet.Core.Qemu;

/// <summary>
/// A netdev's or device's properties, typed and in order, with the type or driver first: the one source for both
/// the command line (-netdev/-device option strings) and QMP (netdev_add/device_add arguments, which want JSON
/// numbers and booleans), so a hot-plugged NIC is exactly the NIC a start would have given.
/// </summary>
public sealed class QemuProperties
{
    private readonly List<KeyValuePair<string, object>> _items = [];

    private QemuProperties(string typeKey, string type)
    {
        TypeKey = typeKey;
        Type = type;
    }

    /// <summary>"type" for a netdev, "driver" for a device.</summary>
    public string TypeKey { get; }

    public string Type { get; }

    public IReadOnlyList<KeyValuePair<string, object>> Items => _items;

    private QemuProperties Add(string key, object? value)
    {
        if (value is not null)
        {
            _items.Add(new(key, value));
        }

        return this;
    }

    /// <summary>The backend's -netdev properties under <paramref name="id"/>.</summary>
    public static QemuProperties Netdev(QemuNetBackend backend, string id) => backend switch
    {
        QemuTapNet tap => Tap(tap, id),
        QemuUserNet user => User(user, id),
        QemuSocketNet socket => new QemuProperties("type", "socket").Add("id", id).Add(socket.ModeKey, socket.Address).Add("localaddr", socket.LocalAddress),
        _ => throw new NotSupportedException(backend.GetType().Name),
    };

    /// <summary>The NIC's -device properties, joined to the netdev (or hub port) <paramref name="peer"/>.</summary>
    public static QemuProperties Device(QemuNic nic, string peer)
    {
        var multiqueue = (nic.Backend as QemuTapNet)?.Queues is > 1 and var queues ? queues : (int?)null;
        return new QemuProperties("driver", nic.Device)
            .Add("netdev", peer)
            .Add("id", nic.Id)
            .Add("mac", nic.MacAddress)
            .Add("addr", nic.PciAddress)
            .Add("mq", multiqueue is null ? null : true)
            .Add("vectors", nic.Vectors ?? (2 * multiqueue) + 2)
            .Add("bootindex", nic.BootIndex);
    }

    /// <summary>The hub port that joins a netdev (or, with no <paramref name="netdev"/>, a NIC) to hub <paramref name="hub"/>.</summary>
    public static QemuProperties HubPort(string id, int hub, string? netdev) =>
        new QemuProperties("type", "hubport").Add("id", id).Add("hubid", hub).Add("netdev", netdev);

    private static QemuProperties Tap(QemuTapNet tap, string id)
    {
        var p = new QemuProperties("type", "tap").Add("id", id);
        if (tap.Fd is { } fd)
        {
            // QEMU takes one fd=, or fds= for a multiqueue TAP, and nothing else that would make a TAP; a TAP the module
            // opened comes with its vhost descriptors too, so QEMU needs no privilege to open /dev/vhost-net.
            var queues = tap.ModuleOpens ? tap.Queues ?? 1 : 1;
            var vhost = tap.Vhost == QemuVhostMode.On;
            p.Add(queues > 1 ? "fds" : "fd", Numbers(fd, queues));
            return p.Add("sndbuf", tap.SndBuf)
                .Add("vhost", tap.Vhost switch { QemuVhostMode.On => true, QemuVhostMode.Off => false, _ => null })
                .Add(queues > 1 ? "vhostfds" : "vhostfd", vhost && tap.ModuleOpens ? Numbers(fd + queues, queues) : null);
        }
        else if (tap.Helper is not null)
        {
            p.Add("br", tap.Bridge).Add("helper", tap.Helper);
        }
        else
        {
            // QEMU would otherwise run /etc/qemu-ifup and /etc/qemu-ifdown.
            p.Add("ifname", tap.IfName).Add("script", tap.Script ?? "no").Add("downscript", tap.DownScript ?? "no");
        }

        return p.Add("sndbuf", tap.SndBuf)
            .Add("vnet_hdr", tap.VnetHdr)
            .Add("vhost", tap.Vhost switch { QemuVhostMode.On => true, QemuVhostMode.Off => false, _ => null })
            .Add("queues", tap.Queues > 1 ? tap.Queues : null);
    }

    private static string Numbers(int first, int count) =>
        string.Join(':', Enumerable.Range(first, count).Select(n => n.ToString(CultureInfo.InvariantCulture)));

    private static QemuProperties User(QemuUserNet user, string id)
    {
        var p = new QemuProperties("type", "user").Add("id", id)
            .Add("restrict", user.Restrict ? true : null)
            .Add("net", user.Subnet)
            .Add("dhcpstart", user.DhcpStart)
            .Add("dns", user.Dns)
            .Add("hostname", user.HostName)
            .Add("domainname", user.DomainName);
        foreach (var forward in user.HostForward)
        {
            p.Add("hostfwd", forward.ToQemuString());
        }

        return p;
    }

    /// <summary>The command-line option string ("tap,id=net0,ifname=…"), booleans as on/off, commas doubled.</summary>
    public string ToOptionString()
    {
        var builder = new QemuOptionBuilder().Add(Type);
        foreach (var (key, value) in _items)
        {
            builder.Add(key, Text(value));
        }

        return builder.ToString();
    }

    /// <summary>
    /// The classic -net form of a backend: "tap,vlan=0,name=net0,ifname=…" — the id becomes name= where the binary
    /// still takes it (QEMU before 5.1), and the hub number vlan= (before 3.0).
    /// </summary>
    public string ToLegacyOptionString(int? vlan, bool withName)
    {
        var builder = new QemuOptionBuilder().Add(Type).Add("vlan", vlan);
        foreach (var (key, value) in _items)
        {
            if (key != "id" || withName)
            {
                builder.Add(key == "id" ? "name" : key, Text(value));
            }
        }

        return builder.ToString();
    }

    private static string? Text(object value) => value switch
    {
        bool b => b ? "on" : "off",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>
    /// The QMP arguments: numbers and booleans typed as QEMU's schema wants them; repeated keys (hostfwd) become
    /// the list of String objects (<c>[{"str": …}]</c>) that netdev_add takes.
    /// </summary>
    public JsonObject ToQmpArguments()
    {
        var json = new JsonObject { [TypeKey] = Type };
        foreach (var group in _items.GroupBy(i => i.Key, StringComparer.Ordinal))
        {
            if (group.Key == "hostfwd")
            {
                json[group.Key] = new JsonArray(group.Select(i => (JsonNode)new JsonObject { ["str"] = (string)i.Value }).ToArray());
                continue;
            }

            var value = group.Last().Value;
            QemuOptionBuilder.Escape(value.ToString() ?? string.Empty, value);
            json[group.Key] = value switch
            {
                bool b => JsonValue.Create(b),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                _ => JsonValue.Create(value.ToString()),
            };
        }

        return json;
    }
}
