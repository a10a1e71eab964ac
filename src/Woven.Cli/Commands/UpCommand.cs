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
        var command = new Command("up", "Run a Woven node in the foreground") { listen, bootstrap, stateDir, logLevel };
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
