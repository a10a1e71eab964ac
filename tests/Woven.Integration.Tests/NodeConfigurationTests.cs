using System.Collections;
using System.Net;
using Microsoft.Extensions.Logging;
using Woven.Node.Config;

namespace Woven.Integration.Tests;

/// <summary>woven up's configuration: precedence of flags, environment, file and defaults; one clear line per mistake.</summary>
public sealed class NodeConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("woven-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string File(string yaml)
    {
        var path = Path.Combine(_dir, $"w{Guid.NewGuid():N}.yaml");
        System.IO.File.WriteAllText(path, yaml);
        return path;
    }

    private static List<ConfigSetting> Flags(params (string Key, string Text, string Flag)[] flags) =>
        flags.Select(f => ConfigSetting.One(f.Key, f.Text, f.Flag)).ToList();

    private static NodeConfiguration Valid(IReadOnlyList<ConfigSetting> flags, string? file, IDictionary? env = null)
    {
        var c = NodeConfiguration.Load(flags, file, env ?? new Hashtable(), out var errors);
        Assert.True(c is not null, string.Join("\n", errors));
        return c!;
    }

    private static List<string> Errors(IReadOnlyList<ConfigSetting> flags, string? file, IDictionary? env = null)
    {
        Assert.Null(NodeConfiguration.Load(flags, file, env ?? new Hashtable(), out var errors));
        return errors;
    }

    [Fact]
    public void Flags_beat_the_environment_which_beats_the_file_which_beats_the_defaults()
    {
        var file = File("listen: 127.0.0.1:7001\nmtu: 1400\nbootstrap: [192.0.2.1:7000]\nlogging: {default: warning, overlay: debug}\n");
        var env = new Hashtable { ["WOVEN_LISTEN"] = "127.0.0.1:7002", ["WOVEN_LOG_LEVEL"] = "error", ["WOVEN_BIN"] = "/not/ours" };
        var flags = Flags(("listen", "127.0.0.1:7003", "--listen"));

        Assert.Equal(IPEndPoint.Parse("127.0.0.1:7003"), Valid(flags, file, env).Options.Listen);
        var fromEnv = Valid([], file, env);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:7002"), fromEnv.Options.Listen);
        Assert.Equal(LogLevel.Error, fromEnv.Logging.Default);
        Assert.Equal(LogLevel.Debug, fromEnv.Logging.Categories["overlay"]);
        var fromFile = Valid([], file);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:7001"), fromFile.Options.Listen);
        Assert.Equal(1400, fromFile.Options.Mtu);
        Assert.Equal([IPEndPoint.Parse("192.0.2.1:7000")], fromFile.Options.Bootstraps);
        Assert.Equal(LogLevel.Warning, fromFile.Logging.Default);
        var defaults = Valid([], null);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:7000"), defaults.Options.Listen);
        Assert.Equal(Woven.Vnet.VirtualNetwork.DefaultMtu, defaults.Options.Mtu);
        Assert.Equal("woven0", defaults.Options.TunName);
        Assert.Empty(defaults.Options.Bootstraps);
        Assert.False(defaults.Options.Vnet);
        Assert.Null(defaults.Options.ControlTcp);
        Assert.Equal(LogLevel.Information, defaults.Logging.Default);
        // A flag's list replaces the file's list; it does not add to it.
        Assert.Equal([IPEndPoint.Parse("198.51.100.1:7000"), IPEndPoint.Parse("198.51.100.2:7000")],
            Valid(Flags(("bootstrap", "198.51.100.1:7000,198.51.100.2:7000", "--bootstrap")), file).Options.Bootstraps);
    }

    [Fact]
    public void The_example_file_in_docs_is_valid_and_means_what_its_comments_say()
    {
        var example = FindDocs("woven.example.yaml");
        var c = Valid([], example).Options;
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:7000"), c.Listen);
        Assert.Equal([IPEndPoint.Parse("192.0.2.10:7000"), IPEndPoint.Parse("198.51.100.20:7000")], c.Bootstraps);
        Assert.Equal("/var/lib/woven", c.StateDirectory);
        Assert.True(c.Vnet);
        Assert.Equal(IPNetwork.Parse("100.80.0.0/16"), c.VnetRange);
        Assert.Equal((true, (IPNetwork?)null), (c.Ipv6, c.Ipv6Prefix));
        Assert.Equal(("web1", "woven0", 32768), (c.Name, c.TunName, c.Mtu));
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:7070"), c.ControlTcp);
        var logging = Valid([], example).Logging;
        Assert.Equal(LogLevel.Information, logging.Default);
        Assert.Equal(LogLevel.Warning, logging.Categories["control"]);
    }

    [Theory]
    [InlineData("bootsrap: 192.0.2.1:7000\n", ":1: bootsrap: unknown setting; did you mean bootstrap?")]
    [InlineData("listen: 0.0.0.0:7000\nvnet-range: 10.9.0.0/16\n", ":2: vnet-range: unknown setting; did you mean vnet_range?")]
    [InlineData("colour: blue\n", ":1: colour: unknown setting; the settings are listen, bootstrap, state_dir")]
    [InlineData("listen: 0.0.0.0:70000\n", ":1: listen: '0.0.0.0:70000' is not ADDR:PORT (for example 0.0.0.0:7000")]
    [InlineData("bootstrap:\n  - 192.0.2.1:7000\n  - seed\n", ":3: bootstrap: 'seed' is not HOST:PORT")]
    [InlineData("mtu: big\n", ":1: mtu: 'big' is not a whole number; give 1280 to 65535")]
    [InlineData("mtu: 99\n", ":1: mtu: 99 is outside 1280 to 65535")]
    [InlineData("vnet: maybe\n", ":1: vnet: 'maybe' is not true or false")]
    [InlineData("vnet_range: 8.8.0.0/16\n", ":1: vnet_range: ")]
    [InlineData("vnet_ipv6: maybe\n", ":1: vnet_ipv6: 'maybe' is not on, off or a unique local prefix such as fd12:3456:789a::/48")]
    [InlineData("vnet_ipv6: fd00::1/48\n", ":1: vnet_ipv6: 'fd00::1/48' is not an IPv6 prefix in CIDR form with zero host bits")]
    [InlineData("vnet_ipv6: 2001:db8::/48\n", ":1: vnet_ipv6: '2001:db8::/48' is not a unique local prefix (fc00::/7")]
    [InlineData("vnet_ipv6: fd00::/32\n", ":1: vnet_ipv6: 'fd00::/32' has prefix length 32; use /48 to /64")]
    [InlineData("tun: this-name-is-far-too-long\n", ":1: tun: 'this-name-is-far-too-long' is not an interface name")]
    [InlineData("control_tcp: 0.0.0.0:7070\n", ":1: control_tcp: 0.0.0.0:7070 is not a loopback address")]
    [InlineData("name:\n", ":1: name: no value; give one")]
    [InlineData("listen:\n  - 0.0.0.0:7000\n", ":1: listen: expected one value, not a list")]
    [InlineData("logging:\n  default: loud\n", ":2: logging.default: 'loud' is not one of trace, debug, info, warning, error, none")]
    [InlineData("logging:\n  overlya: debug\n", ":2: logging.overlya: unknown log category; did you mean overlay?")]
    [InlineData("listen: [0.0.0.0:7000\n", ":2: not valid YAML: ")]
    [InlineData("mtu: 1400\nmtu: 1500\n", ":2: not valid YAML: Duplicate key mtu")]
    [InlineData("- listen\n", ":1: expected settings as 'key: value' lines")]
    public void A_mistake_in_the_file_is_one_line_with_file_line_field_and_fix(string yaml, string expected)
    {
        var file = File(yaml);
        var error = Assert.Single(Errors([], file));
        Assert.StartsWith(file + expected, error);
    }

    [Fact]
    public void Every_mistake_is_reported_at_once_in_the_order_of_the_lines_then_the_environment_and_flags()
    {
        var file = File("mtu: 1\nlisten: nowhere\ncolour: blue\n");
        var env = new Hashtable { ["WOVEN_TUN"] = "bad name!" };
        var errors = Errors(Flags(("control_tcp", "192.0.2.1:7070", "--control-tcp")), file, env);
        Assert.Equal(5, errors.Count);
        Assert.StartsWith($"{file}:1: mtu:", errors[0]);
        Assert.StartsWith($"{file}:2: listen:", errors[1]);
        Assert.StartsWith($"{file}:3: colour:", errors[2]);
        Assert.Contains(errors, e => e.StartsWith("WOVEN_TUN: 'bad name!' is not an interface name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--control-tcp: 192.0.2.1:7070 is not a loopback address", StringComparison.Ordinal));
    }

    [Fact]
    public void Ipv6_is_on_by_default_and_turned_off_or_given_a_prefix_by_the_file_or_flag()
    {
        Assert.True(Valid([], null).Options.Ipv6);
        Assert.False(Valid([], File("vnet_ipv6: off\n")).Options.Ipv6);
        var given = Valid(Flags(("vnet_ipv6", "fd12:3456:789a::/48", "--vnet-ipv6")), File("vnet_ipv6: off\n")).Options;
        Assert.Equal((true, IPNetwork.Parse("fd12:3456:789a::/48")), (given.Ipv6, given.Ipv6Prefix));
    }

    [Fact]
    public void A_missing_file_and_an_empty_one_are_told_apart()
    {
        var missing = Path.Combine(_dir, "nope.yaml");
        Assert.Equal($"--config: {missing} does not exist; give the path of a YAML file (docs/woven.example.yaml shows every setting)", Assert.Single(Errors([], missing)));
        Assert.Equal(7000, Valid([], File("# nothing set\n")).Options.Listen.Port);
    }

    [Fact]
    public void A_relative_state_dir_in_the_file_is_taken_from_the_files_directory()
    {
        Assert.Equal(Path.Combine(_dir, "node-a"), Valid([], File("state_dir: node-a\n")).Options.StateDirectory);
        Assert.Equal("relative-flag", Valid(Flags(("state_dir", "relative-flag", "--state-dir")), File("state_dir: node-a\n")).Options.StateDirectory);
    }

    [Fact]
    public void Log_levels_per_category_filter_the_node_loggers()
    {
        var logging = Valid([], File("logging:\n  default: warning\n  control: debug\n  Woven.Node.Cluster: error\n")).Logging;
        using var loggers = LoggerFactory.Create(b => logging.Apply(b.AddProvider(new EverythingProvider())));
        Assert.True(loggers.CreateLogger("Woven.Node.Control.ControlServer").IsEnabled(LogLevel.Debug));
        Assert.False(loggers.CreateLogger("Woven.Node.WovenNode").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Woven.Node.WovenNode").IsEnabled(LogLevel.Warning));
        Assert.False(loggers.CreateLogger("Woven.Node.Cluster.NodeProcess").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public async Task Woven_up_with_a_bad_file_prints_each_error_and_exits_2_without_starting()
    {
        var file = File("listen: 127.0.0.1:0\nstate_dir: n\nbootsrap: 192.0.2.1:7000\nmtu: 1\n");
        var r = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "up", "--config", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal([$"woven up: {file}:3: bootsrap: unknown setting; did you mean bootstrap?", $"woven up: {file}:4: mtu: 1 is outside 1280 to 65535"],
            r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(Path.Combine(_dir, "n")));
    }

    private static string FindDocs(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", name);
            if (System.IO.File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}");
    }

    private sealed class EverythingProvider : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Everything();

        public void Dispose()
        {
        }

        private sealed class Everything : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
            }
        }
    }
}
