using System.CommandLine;
using System.Runtime.InteropServices;
using Woven.Cli.Demo;

namespace Woven.Cli.Commands;

/// <summary>
/// <c>woven demo</c>: as root, a NAT lab of network namespaces with real woven nodes behind real NAT routers
/// (<see cref="LabDemo"/>); without root, or with <c>--loopback</c>, a cluster of nodes on 127.0.0.1
/// (<see cref="LoopbackDemo"/>). Exits 0 when every step worked, 1 when one failed, 130 (SIGINT) or 143 (SIGTERM) when
/// interrupted mid-step; the lab, its namespaces and every process it started are gone on every one of these exits.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "How many nodes to start on loopback (3 to 32; the lab always runs 7)", DefaultValueFactory = _ => 8 };
        var keep = new Option<bool>("--keep") { Description = "Keep the nodes (and the lab) running after the demo until Ctrl-C" };
        var loopback = new Option<bool>("--loopback") { Description = "Run the nodes on 127.0.0.1 even as root (no NAT lab)" };
        var command = new Command("demo", "Start a small Woven network on this machine and show it at work (as root: behind real NAT routers in network namespaces)") { nodes, keep, loopback };
        // A synchronous action: System.CommandLine then leaves SIGINT and SIGTERM alone, and the demo's own handlers below
        // let it finish its cleanup (nodes, lab namespaces) however long that takes, instead of exiting after 2 s.
        command.SetAction(parse =>
        {
            int n = parse.GetValue(nodes);
            if (n is < 3 or > 32)
            {
                Console.Error.WriteLine($"woven demo: --nodes must be between 3 and 32 (got {n})");
                return 2;
            }
            using var cts = new CancellationTokenSource();
            int signalExit = 0;
            void OnSignal(PosixSignalContext context, int code)
            {
                context.Cancel = true;
                if (Interlocked.CompareExchange(ref signalExit, code, 0) == 0)
                    Console.Error.WriteLine($"woven demo: {context.Signal} received; cleaning up");
                cts.Cancel();
            }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => OnSignal(c, 130));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => OnSignal(c, 143));
            bool keepRunning = parse.GetValue(keep);
            try
            {
                int code;
                if (parse.GetValue(loopback))
                {
                    code = LoopbackDemo.RunAsync(n, keepRunning, cts.Token).GetAwaiter().GetResult();
                }
                else if (!Environment.IsPrivilegedProcess)
                {
                    Console.WriteLine("woven demo: not root, so no NAT lab (network namespaces need root); running the nodes on 127.0.0.1 instead");
                    code = LoopbackDemo.RunAsync(n, keepRunning, cts.Token).GetAwaiter().GetResult();
                }
                else
                {
                    code = LabDemo.RunAsync(keepRunning, cts.Token).GetAwaiter().GetResult();
                }
                // Ctrl-C that ends --keep after a complete demo is the way out the demo asked for, not an interruption.
                return code == 0 && keepRunning && signalExit == 130 ? 0 : signalExit != 0 ? signalExit : code;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                return signalExit;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException or IOException)
            {
                Console.Error.WriteLine($"woven demo: FAILED: {e.Message}");
                return signalExit != 0 ? signalExit : 1;
            }
        });
        return command;
    }
}
