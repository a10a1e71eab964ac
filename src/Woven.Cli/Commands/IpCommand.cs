using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven ip</c>: the running node's addresses (IPv4, and IPv6 when it has one) and name in the virtual network.</summary>
internal static class IpCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var json = new Option<bool>("--json") { Description = "Print the vnet part of the status document" };
        var command = new Command("ip", "Show this node's virtual IP address and name") { json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            var state = new StateDirectory(parse.GetValue(stateDir)!);
            using var client = new ControlClient(state.ControlSocket);
            StatusDocument status;
            try
            {
                status = await client.GetStatusAsync(ct);
            }
            catch (HttpRequestException e) when (NoNode.Is(e))
            {
                return NoNode.Report(state);
            }
            if (status.Vnet is not { } v)
            {
                Console.Error.WriteLine("woven ip: this node is not in the virtual network; start it with: woven up --vnet");
                return 1;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(v, ControlJson.Options));
                return v.Address is null ? 1 : 0;
            }
            if (v.Address is null)
            {
                Console.Error.WriteLine($"woven ip: still claiming an address in {v.Range}");
                return 1;
            }
            Console.WriteLine($"{v.Address}  {v.Name}{(v.NameRegistered ? "" : " (name held by another member)")}  {v.Interface} mtu {v.Mtu}  range {v.Range}");
            if (v.Address6 is not null) Console.WriteLine($"{v.Address6}  {v.Name}  {v.Interface}  prefix {v.Ipv6Prefix}");
            return 0;
        });
        return command;
    }
}
