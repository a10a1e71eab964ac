using System.Collections;
using System.Net;
using Microsoft.Extensions.Logging;
using Woven.Node.Control;

namespace Woven.Node.Config;

/// <summary>
/// Everything <c>woven up</c> starts with, from four sources in order of precedence: flags, then WOVEN_* environment
/// variables, then the YAML file of <c>--config</c>, then the defaults. All of it is checked before the node starts,
/// and every problem is one line naming where the value came from, the setting and the fix (see docs/configuration.md).
/// </summary>
public sealed class NodeConfiguration
{
    public required NodeOptions Options { get; init; }

    public required LogSettings Logging { get; init; }

    /// <summary>Loads the file (when given), reads the environment, lays the flags over both and checks the result.</summary>
    /// <param name="flags">The flags given on the command line (not their defaults).</param>
    /// <returns>The configuration, or null with <paramref name="errors"/> filled.</returns>
    public static NodeConfiguration? Load(IReadOnlyList<ConfigSetting> flags, string? configFile, IDictionary environment, out List<string> errors)
    {
        errors = [];
        var file = configFile is null ? [] : ConfigFile.Read(configFile, errors);
        var env = FromEnvironment(environment);
        var merged = new Dictionary<string, ConfigSetting>();
        foreach (var layer in new[] { file, env, flags })
        {
            foreach (var s in layer) merged[s.Key] = s;
        }
        var result = Build(merged, errors);
        // The file's problems in the order of its lines, then the environment's and the flags'.
        errors = [.. errors.OrderBy(LineOf)];
        return errors.Count == 0 ? result : null;

        int LineOf(string error)
        {
            if (configFile is null || !error.StartsWith(configFile + ":", StringComparison.Ordinal)) return int.MaxValue;
            var rest = error.AsSpan(configFile.Length + 1);
            int colon = rest.IndexOf(':');
            return colon > 0 && int.TryParse(rest[..colon], out int line) ? line : int.MaxValue;
        }
    }

    /// <summary>The WOVEN_* variables of <see cref="ConfigKeys"/> that are set and not empty (others, like WOVEN_BIN, are not ours).</summary>
    public static List<ConfigSetting> FromEnvironment(IDictionary environment)
    {
        var settings = new List<ConfigSetting>();
        foreach (var key in ConfigKeys.All)
        {
            if (environment[key.Environment] is not string { Length: > 0 } text) continue;
            settings.Add(key.Name == "logging" ? ConfigSetting.One("logging.default", text, key.Environment) : ConfigSetting.One(key.Name, text, key.Environment));
        }
        return settings;
    }

    private static NodeConfiguration Build(Dictionary<string, ConfigSetting> s, List<string> errors)
    {
        T Parse<T>(string key, T fallback, Func<ConfigItem, (string? Error, T Value)> parse)
        {
            if (!s.TryGetValue(key, out var setting)) return fallback;
            var item = setting.Items[0];
            var (error, value) = parse(item);
            if (error is null) return value;
            errors.Add($"{item.Origin}: {error}");
            return fallback;
        }

        var listen = Parse("listen", new IPEndPoint(IPAddress.Any, 7000), i => (ConfigParsers.Listen(i.Text, out var ep), ep!));
        var bootstraps = new List<IPEndPoint>();
        if (s.TryGetValue("bootstrap", out var boot))
        {
            foreach (var item in boot.Items)
            {
                foreach (var part in item.Text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (ConfigParsers.HostPort(part, out var ep) is { } error) errors.Add($"{item.Origin}: {error}");
                    else bootstraps.Add(ep!);
                }
            }
        }
        var stateDir = Parse("state_dir", Woven.Platform.State.StateDirectory.DefaultPath(), i => (ConfigParsers.StateDir(i.Text), i.Text));
        var vnet = Parse("vnet", false, i => (ConfigParsers.Bool(i.Text, out var b), b));
        var range = Parse<IPNetwork?>("vnet_range", null, i => (ConfigParsers.Range(i.Text, out var r), r));
        var ipv6 = Parse<(bool On, IPNetwork? Prefix)>("vnet_ipv6", (true, null), i => (ConfigParsers.Ipv6(i.Text, out var on, out var p), (on, p)));
        var name = Parse<string?>("name", null, i => (i.Text.Trim().Length == 0 ? "no name; give one such as web1" : null, i.Text.Trim()));
        var tun = Parse("tun", "woven0", i => (ConfigParsers.Tun(i.Text), i.Text));
        var mtu = Parse("mtu", Woven.Vnet.VirtualNetwork.DefaultMtu, i => (ConfigParsers.Mtu(i.Text, out var m), m));
        var controlTcp = Parse<IPEndPoint?>("control_tcp", null, i =>
        {
            if (ConfigParsers.Listen(i.Text, out var ep) is { } error) return (error.Replace("(for example 0.0.0.0:7000 or 127.0.0.1:7001)", "(for example 127.0.0.1:7070)", StringComparison.Ordinal), null);
            return (ControlServer.TcpAddressError(ep!), ep);
        });
        var defaultLevel = Parse("logging.default", LogLevel.Information, i => (ConfigParsers.Level(i.Text, out var l), l));
        var categories = new Dictionary<string, LogLevel>();
        foreach (var (key, setting) in s.Where(p => p.Key.StartsWith("logging.", StringComparison.Ordinal) && p.Key != "logging.default"))
        {
            var level = Parse(key, LogLevel.Information, i => (ConfigParsers.Level(i.Text, out var l), l));
            categories[key["logging.".Length..]] = level;
        }

        return new NodeConfiguration
        {
            Options = new NodeOptions
            {
                Listen = listen,
                Bootstraps = bootstraps,
                StateDirectory = stateDir,
                Vnet = vnet,
                VnetRange = range,
                Ipv6 = ipv6.On,
                Ipv6Prefix = ipv6.Prefix,
                Name = name,
                TunName = tun,
                Mtu = mtu,
                ControlTcp = controlTcp,
            },
            Logging = new LogSettings(defaultLevel, categories),
        };
    }
}
