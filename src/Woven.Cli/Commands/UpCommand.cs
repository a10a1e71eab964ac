using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Woven.Node;
using Woven.Node.Config;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven up</c>: runs a node in the foreground until SIGINT or SIGTERM, then leaves the ring gracefully.</summary>
internal static class UpCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var config = new Option<string?>("--config") { Description = "A YAML file with any of the settings below (docs/configuration.md); flags and WOVEN_* variables override it" };
        var listen = new Option<string?>("--listen") { Description = "UDP address and port to listen on, ADDR:PORT (default 0.0.0.0:7000)" };
        var bootstrap = new Option<string[]>("--bootstrap") { Description = "Members to join through, HOST:PORT[,HOST:PORT...]; none starts a new ring", AllowMultipleArgumentsPerToken = true };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, info, warning, error or none (default info; per category in the config file)" };
        var vnet = new Option<bool>("--vnet") { Description = "Join the virtual IP network: a TUN device with an address from the DHT (needs root or CAP_NET_ADMIN)" };
        var vnetRange = new Option<string?>("--vnet-range") { Description = "The virtual network's IPv4 range for an open overlay, CIDR (default 100.80.0.0/16; a domain's comes from its settings)" };
        var vnetIpv6 = new Option<string?>("--vnet-ipv6") { Description = "IPv6 in the virtual network: on (default: the domain's prefix, else one derived from the domain's CA key or the open overlay's range), off, or an open overlay's unique local prefix, e.g. fd12:3456:789a::/48" };
        var name = new Option<string?>("--name") { Description = "This node's name in the virtual network (default: the certificate's, else the host name)" };
        var tun = new Option<string?>("--tun") { Description = "Name of the TUN interface (default woven0)" };
        var mtu = new Option<string?>("--mtu") { Description = $"MTU of the TUN interface, 1280 to 65535 (default {Woven.Vnet.VirtualNetwork.DefaultMtu})" };
        var controlTcp = new Option<string?>("--control-tcp") { Description = "Also serve the control API on 127.0.0.1:PORT (loopback only), behind the bearer token the node writes to STATE_DIR/control.token" };
        var command = new Command("up", "Run a Woven node in the foreground") { config, listen, bootstrap, stateDir, logLevel, vnet, vnetRange, vnetIpv6, name, tun, mtu, controlTcp };
        command.SetAction(async (parse, ct) =>
        {
            // Only what was typed: defaults come last, after the environment and the file.
            var flags = new List<ConfigSetting>();
            void Given(Option<string?> option, string key)
            {
                if (parse.GetValue(option) is { } text) flags.Add(ConfigSetting.One(key, text, option.Name));
            }
            Given(listen, "listen");
            Given(vnetRange, "vnet_range");
            Given(vnetIpv6, "vnet_ipv6");
            Given(name, "name");
            Given(tun, "tun");
            Given(mtu, "mtu");
            Given(controlTcp, "control_tcp");
            Given(logLevel, "logging.default");
            if (parse.GetValue(bootstrap) is { Length: > 0 } boots) flags.Add(new ConfigSetting("bootstrap", boots.Select(b => new ConfigItem(b, "--bootstrap")).ToList()));
            if (parse.GetResult(vnet) is { Implicit: false }) flags.Add(ConfigSetting.One("vnet", parse.GetValue(vnet) ? "true" : "false", "--vnet"));
            if (parse.GetResult(stateDir) is { Implicit: false }) flags.Add(ConfigSetting.One("state_dir", parse.GetValue(stateDir)!, "--state-dir"));

            var configuration = NodeConfiguration.Load(flags, parse.GetValue(config), Environment.GetEnvironmentVariables(), out var errors);
            if (configuration is null)
            {
                foreach (var error in errors) Console.Error.WriteLine($"woven up: {error}");
                return 2;
            }
            return await RunAsync(configuration, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(NodeConfiguration configuration, CancellationToken ct)
    {
        var options = configuration.Options;
        using var loggers = LoggerFactory.Create(b => configuration.Logging.Apply(b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        })));
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
        Console.Out.WriteLine($"woven node {node.Identity!.Address} up on {node.LocalEndPoint} (control socket {node.State.ControlSocket}{(options.ControlTcp is { } tcp ? $", and {tcp} with the token in {Path.Combine(node.State.Path, Woven.Node.Control.ControlServer.TokenFileName)}" : "")})");
        await Task.WhenAny(stop.Task, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
        Console.Out.WriteLine("leaving the ring");
        return 0;
    }
}
