using System.CommandLine;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using Woven.Nat;
using Woven.Node.Control;
using Woven.Platform.State;
using Woven.Platform.Transport;

namespace Woven.Cli.Commands;

/// <summary>
/// <c>woven netcheck</c>: how the NAT in front of this host behaves (RFC 4787/5780 mapping and filtering), which public
/// endpoints it gives, and the latency to the nodes a running node is linked to.
/// </summary>
internal static class NetcheckCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var stun = new Option<string[]>("--stun") { Description = "STUN servers, HOST:PORT[,...]; an RFC 5780 server (two addresses) gives the filtering too. Default: the peers of the running node", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("netcheck", "Classify the local NAT and measure latency to known nodes") { stun, json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var servers = Endpoints.ParseBootstraps("--stun", parse.GetValue(stun) ?? []).ToList();
                return await RunAsync(servers, new StateDirectory(parse.GetValue(stateDir)!), parse.GetValue(json), ct);
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"woven netcheck: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private sealed record Latency(string? Address, string Endpoint, double? RttMs, string Source);

    private static async Task<int> RunAsync(List<IPEndPoint> servers, StateDirectory state, bool asJson, CancellationToken ct)
    {
        StatusDocument? node = null;
        bool fromPeers = servers.Count == 0;
        if (File.Exists(state.ControlSocket) || fromPeers)
        {
            using var client = new ControlClient(state.ControlSocket);
            try
            {
                node = await client.GetStatusAsync(ct);
            }
            catch (HttpRequestException e) when (NoNode.Is(e))
            {
                // Without --stun the node's peers are the servers: no node, nothing to ask.
                if (fromPeers) return NoNode.Report(state);
            }
            catch (HttpRequestException) when (!fromPeers)
            {
            }
        }
        var peers = node?.Peers.Where(p => p.Path == "direct" && p.Transport == "udp").ToList() ?? [];
        if (fromPeers) servers = peers.Select(p => IPEndPoint.Parse(p.Endpoint)).Take(4).ToList();
        if (servers.Count == 0)
        {
            Console.Error.WriteLine($"woven netcheck: no STUN server to ask: give --stun HOST:PORT, or run a node (woven up --state-dir {state.Path}) whose peers answer STUN");
            return 2;
        }

        var options = new StunClientOptions { InitialRto = TimeSpan.FromMilliseconds(250), MaxRequests = 3, FinalTimeoutMultiplier = 4 };
        var network = new UdpNetwork();
        using var mappingClient = new StunSocketClient(network.Bind(new IPEndPoint(IPAddress.Any, 0)), TimeProvider.System, options);
        using var filteringClient = new StunSocketClient(network.Bind(new IPEndPoint(IPAddress.Any, 0)), TimeProvider.System, options);
        int port = mappingClient.LocalEndPoint.Port;
        var locals = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Where(u => u.Address.AddressFamily == AddressFamily.InterNetwork)
            .Select(u => new IPEndPoint(u.Address, port))
            .ToList();
        var behaviour = await NatBehaviourDiscovery.DiscoverAsync(servers,
            (s, change, token) => mappingClient.BindingAsync(s, change, null, null, token),
            (s, change, token) => filteringClient.BindingAsync(s, change, null, null, token),
            locals, ct);

        var latencies = new List<Latency>();
        foreach (var s in servers.Where(s => !fromPeers))
        {
            var r = await mappingClient.BindingAsync(s, null, null, null, ct);
            latencies.Add(new Latency(null, s.ToString(), r.RoundTripTime?.TotalMilliseconds, "stun"));
        }
        foreach (var p in peers)
        {
            var r = await mappingClient.BindingAsync(IPEndPoint.Parse(p.Endpoint), null, null, null, ct);
            latencies.Add(new Latency(p.Address, p.Endpoint, r.RoundTripTime?.TotalMilliseconds ?? p.RttMs, "node"));
        }

        if (asJson)
        {
            var doc = new
            {
                mapping = behaviour.Mapping,
                filtering = behaviour.Filtering,
                nat_type = behaviour.Kind,
                udp = behaviour.Mapping != Woven.Nat.NatBehaviour.UdpBlocked,
                public_endpoints = behaviour.PublicEndpoints.Select(e => e.ToString()).ToList(),
                stun_servers = servers.Select(s => s.ToString()).ToList(),
                latency = latencies.Select(l => new { address = l.Address, endpoint = l.Endpoint, rtt_ms = l.RttMs is { } v ? Math.Round(v, 3) : (double?)null, source = l.Source }).ToList(),
                notes = behaviour.Notes,
            };
            Console.WriteLine(JsonSerializer.Serialize(doc, ControlJson.Options));
            return 0;
        }
        Console.WriteLine($"NAT type        {behaviour.Kind}");
        Console.WriteLine($"mapping         {behaviour.Mapping}");
        Console.WriteLine($"filtering       {behaviour.Filtering}");
        Console.WriteLine($"public          {string.Join(", ", behaviour.PublicEndpoints)}");
        foreach (var n in behaviour.Notes) Console.WriteLine($"note            {n}");
        if (latencies.Count > 0)
        {
            Console.WriteLine("latency");
            foreach (var l in latencies) Console.WriteLine($"  {(l.Address is null ? "stun" : l.Address[..8]),-10} {l.Endpoint,-24} {(l.RttMs is { } v ? $"{v:F2} ms" : "no answer")}");
        }
        return 0;
    }
}
