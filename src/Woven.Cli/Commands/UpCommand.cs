using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Woven.Node;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven up</c>: runs a node in the foreground until SIGINT or SIGTERM, then leaves the ring gracefully.</summary>
internal static class UpCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var listen = new Option<string>("--listen") { Description = "UDP address and port to listen on, ADDR:PORT", DefaultValueFactory = _ => "0.0.0.0:7000" };
        var bootstrap = new Option<string[]>("--bootstrap") { Description = "Members to join through, HOST:PORT[,HOST:PORT...]; none starts a new ring", AllowMultipleArgumentsPerToken = true };
        var logLevel = new Option<string>("--log-level") { Description = "trace, debug, info, warning or error", DefaultValueFactory = _ => "info" };
        var vnet = new Option<bool>("--vnet") { Description = "Join the virtual IP network: a TUN device with an address from the DHT (needs root or CAP_NET_ADMIN)" };
        var vnetRange = new Option<string?>("--vnet-range") { Description = "The virtual network's IPv4 range for an open overlay, CIDR (default 100.80.0.0/16; a domain's comes from its settings)" };
        var name = new Option<string?>("--name") { Description = "This node's name in the virtual network (default: the certificate's, else the host name)" };
        var tun = new Option<string>("--tun") { Description = "Name of the TUN interface", DefaultValueFactory = _ => "woven0" };
        var mtu = new Option<int>("--mtu") { Description = "MTU of the TUN interface, 1280 to 65535 (packets over 1288 bytes travel in sealed fragments)", DefaultValueFactory = _ => Woven.Vnet.VirtualNetwork.DefaultMtu };
        var controlTcp = new Option<string?>("--control-tcp") { Description = "Also serve the control API on 127.0.0.1:PORT (loopback only), behind the bearer token the node writes to STATE_DIR/control.token" };
        var command = new Command("up", "Run a Woven node in the foreground") { listen, bootstrap, stateDir, logLevel, vnet, vnetRange, name, tun, mtu, controlTcp };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var level = ParseLevel(parse.GetValue(logLevel)!);
                var options = new NodeOptions
                {
                    Listen = Endpoints.ParseListen("--listen", parse.GetValue(listen)!),
                    Bootstraps = Endpoints.ParseBootstraps("--bootstrap", parse.GetValue(bootstrap) ?? []),
                    StateDirectory = parse.GetValue(stateDir)!,
                    Vnet = parse.GetValue(vnet),
                    VnetRange = ParseRange(parse.GetValue(vnetRange)),
                    Name = parse.GetValue(name),
                    TunName = ParseTun(parse.GetValue(tun)!),
                    Mtu = parse.GetValue(mtu) is var m and >= 1280 and <= 65535 ? m : throw new UsageException($"--mtu: {parse.GetValue(mtu)} is outside 1280 to 65535"),
                    ControlTcp = ParseControlTcp(parse.GetValue(controlTcp)),
                };
                return await RunAsync(options, level, ct);
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"woven up: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static System.Net.IPNetwork? ParseRange(string? text)
    {
        if (text is null) return null;
        if (!System.Net.IPNetwork.TryParse(text, out var range) || range.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new UsageException($"--vnet-range: '{text}' is not an IPv4 network in CIDR form, e.g. 100.80.0.0/16");
        if (Woven.Security.DomainSettings.Ipv4RangeError(range) is { } error) throw new UsageException($"--vnet-range: {error}");
        return range;
    }

    private static System.Net.IPEndPoint? ParseControlTcp(string? text)
    {
        if (text is null) return null;
        var endpoint = Endpoints.ParseListen("--control-tcp", text);
        return Woven.Node.Control.ControlServer.TcpAddressError(endpoint) is { } error ? throw new UsageException($"--control-tcp: {error}") : endpoint;
    }

    private static string ParseTun(string text) =>
        text.Length is > 0 and <= 15 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? text
            : throw new UsageException($"--tun: '{text}' is not an interface name (1 to 15 letters, digits, - _ .)");

    private static LogLevel ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new UsageException($"--log-level: '{text}' is not one of trace, debug, info, warning, error"),
    };

    private static async Task<int> RunAsync(NodeOptions options, LogLevel level, CancellationToken ct)
    {
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(level).AddFilter("Microsoft", LogLevel.Warning).AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));
        var stop = new TaskCompletionSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        await using var node = new WovenNode(options, loggers);
        try
        {
            await node.StartAsync(ct);
        }
        catch (StateException e)
        {
            Console.Error.WriteLine($"woven up: {e.Message}");
            return 1;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Console.Error.WriteLine($"woven up: --listen: {options.Listen} is already in use; choose another port");
            return 1;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            Console.Error.WriteLine($"woven up: --listen: {options.Listen} is not an address of this host");
            return 1;
        }
        Console.Out.WriteLine($"woven node {node.Identity!.Address} up on {node.LocalEndPoint} (control socket {node.State.ControlSocket})");
        await Task.WhenAny(stop.Task, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
        Console.Out.WriteLine("leaving the ring");
        return 0;
    }
}
