using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Woven.Crypto;
using Woven.Platform.State;
using Woven.Security;

namespace Woven.Cli.Commands;

/// <summary>
/// <c>woven domain</c>: a user domain's certificate authority (init, issue, revoke, token) and its members' side
/// (join, show). The CA directory holds ca.key, domain.json, issued.log and revocations.bin. Private keys are never
/// printed, except inside the join token that <c>token</c> is asked to print.
/// </summary>
internal static class DomainCommand
{
    /// <summary>Certificates start this long before the moment of issue, so that members whose clocks lag still accept them.</summary>
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <summary>issue and token default to this validity.</summary>
    private const string DefaultExpires = "90d";

    /// <summary>Serials of certificates expired this long ago leave the revocation list: no clock is that far behind.</summary>
    private static readonly TimeSpan RevocationPruneAge = TimeSpan.FromDays(7);

    private static TimeProvider Clock => TimeProvider.System;

    public static Command Create(Option<string> stateDir)
    {
        var command = new Command("domain", "Run a user domain: a CA that decides which nodes may link, with their names, addresses and groups")
        {
            Init(), Issue(), Revoke(), Show(), Token(), Join(stateDir),
        };
        return command;
    }

    // ---------- subcommands ----------

    private static Command Init()
    {
        var name = new Argument<string>("NAME") { Description = $"The domain's name: {DomainNames.LabelRule}", Arity = ArgumentArity.ZeroOrOne };
        var dir = DirOption("The CA directory to create (ca.key, domain.json); it must not hold a domain yet");
        var ipv4 = new Option<string>("--ipv4") { Description = "The members' virtual IPv4 range (private space)", DefaultValueFactory = _ => "10.77.0.0/16" };
        var ipv6 = new Option<string>("--ipv6") { Description = "An IPv6 ULA prefix for members, 'auto' for a random fdXX::/48, or 'none'", DefaultValueFactory = _ => "none" };
        var zone = new Option<string>("--zone") { Description = "The DNS zone of member names (default NAME.woven)" };
        var command = new Command("init", "Create a domain: a new CA key and the domain file to share") { name, dir, ipv4, ipv6, zone };
        command.SetAction(parse => Run("init", () =>
        {
            var domainName = parse.GetValue(name);
            if (string.IsNullOrEmpty(domainName)) throw new UsageException("NAME: missing; give the domain's name, e.g. woven domain init lab --dir ./lab-ca");
            if (!DomainNames.IsLabel(domainName)) throw new UsageException($"NAME: '{domainName}' is not {DomainNames.LabelRule}");
            var store = new DomainStore(RequireDir(parse.GetValue(dir), "the CA directory to create, e.g. --dir ./lab-ca"));
            var range = ParseNetwork("--ipv4", parse.GetValue(ipv4)!, "10.77.0.0/16");
            if (DomainSettings.Ipv4RangeError(range) is { } e4) throw new UsageException($"--ipv4: {e4}");
            IPNetwork? prefix = parse.GetValue(ipv6) switch
            {
                null or "none" => null,
                "auto" => RandomUniqueLocalPrefix(),
                var text => ParseNetwork("--ipv6", text, "fd12:3456:789a::/48"),
            };
            if (prefix is { } p && DomainSettings.Ipv6PrefixError(p) is { } e6) throw new UsageException($"--ipv6: {e6}");
            var dnsZone = parse.GetValue(zone) ?? DomainSettings.DefaultZone(domainName);
            if (!DomainNames.IsZone(dnsZone)) throw new UsageException($"--zone: '{dnsZone}' is not {DomainNames.ZoneRule}");

            var authority = DomainAuthority.Generate();
            var settings = new DomainSettings(domainName, range, prefix, dnsZone, authority.PublicKey);
            store.CreateAuthority(authority, settings);
            Console.WriteLine($"created domain '{domainName}' in {store.Path}");
            Console.WriteLine($"  ipv4 range     {range}");
            if (prefix is not null) Console.WriteLine($"  ipv6 prefix    {prefix}");
            Console.WriteLine($"  dns zone       {dnsZone}");
            Console.WriteLine($"  ca public key  {Convert.ToBase64String(authority.PublicKey)}");
            Console.WriteLine($"{store.CaKeyFile} is the domain's secret: whoever holds it can admit any node. Keep it off the members.");
            Console.WriteLine($"Add members with: woven domain token --dir {store.Path} --name NAME   (or: woven domain issue --dir {store.Path} --name NAME --key PUBLIC_KEY)");
            return 0;
        }));
        return command;
    }

    private static Command Issue()
    {
        var dir = DirOption("The domain's CA directory");
        var member = new MemberOptions();
        var key = new Option<string>("--key") { Description = "The node's public key, base64, as 'woven status' shows it (public_key)" };
        var output = new Option<string>("--out") { Description = "Where to write the certificate (default DIR/certs/NAME-SERIAL.cert)" };
        var command = new Command("issue", "Sign a member certificate for a node's existing key") { dir, key, output };
        member.AddTo(command);
        command.SetAction(parse => Run("issue", () =>
        {
            var store = new DomainStore(RequireDir(parse.GetValue(dir), "the domain's CA directory"));
            var (authority, settings) = LoadCa(store);
            var request = member.Parse(parse, settings);
            var keyText = parse.GetValue(key);
            if (string.IsNullOrEmpty(keyText)) throw new UsageException("--key: missing; give the node's public key (base64), e.g. from: woven status --json --state-dir DIR");
            var nodeKey = new byte[48];
            if (!Convert.TryFromBase64String(keyText, nodeKey, out int n) || n != NodeIdentity.KeySize)
                throw new UsageException($"--key: '{keyText}' is not base64 of a {NodeIdentity.KeySize}-byte public key; copy public_key from: woven status --json");
            nodeKey = nodeKey[..n];
            var now = Clock.GetUtcNow();
            CheckNotIssuedToAnother(store, settings, request, nodeKey, now);
            var certificate = MemberCertificate.Issue(authority, settings, request.Fields(settings, nodeKey, NewSerial(), now));
            store.RecordIssued(DomainIssuedCertificate.From(certificate, now));

            var path = parse.GetValue(output) ?? Path.Combine(store.Path, "certs", $"{certificate.NodeName}-{MemberCertificate.FormatSerial(certificate.Serial)}.cert");
            path = Path.GetFullPath(path);
            if (File.Exists(path) && !MemberCertificate.TryRead(File.ReadAllBytes(path), out _))
                throw new UsageException($"--out: {path} exists and is not a certificate; choose another path");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            StateDirectory.WriteAtomically(path, certificate.ToBytes());
            Console.WriteLine($"issued certificate {MemberCertificate.FormatSerial(certificate.Serial)} for {certificate.NodeName}.{settings.DnsZone} until {Date(certificate.NotAfter)}: {path}");
            Console.WriteLine($"Install it on the node as STATE_DIR/{DomainStore.CertificateFileName}, with {store.DomainFile} as STATE_DIR/{DomainStore.DomainFileName}.");
            return 0;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var dir = DirOption("The domain's CA directory");
        var serial = new Option<string>("--serial") { Description = "The serial to revoke, 16 hex digits as 'show' prints it" };
        var name = new Option<string>("--name") { Description = "Revoke every unexpired certificate issued to this member name" };
        var command = new Command("revoke", "Add certificates to the domain's signed revocation list (revocations.bin)") { dir, serial, name };
        command.SetAction(parse => Run("revoke", () =>
        {
            var store = new DomainStore(RequireDir(parse.GetValue(dir), "the domain's CA directory"));
            var (authority, settings) = LoadCa(store);
            var serialText = parse.GetValue(serial);
            var memberName = parse.GetValue(name);
            if ((serialText is null) == (memberName is null)) throw new UsageException("give exactly one of --serial SERIAL and --name NAME");
            var now = Clock.GetUtcNow();
            var issued = store.LoadIssued();
            var held = LoadOwnRevocations(store, settings);
            var targets = new List<ulong>();
            if (serialText is not null)
            {
                var text = serialText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? serialText[2..] : serialText;
                if (text.Length is 0 or > 16 || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong s) || s == 0)
                    throw new UsageException($"--serial: '{serialText}' is not a serial (1-16 hex digits, as 'woven domain show CERT' prints it)");
                if (!issued.Any(e => e.Serial == s)) Console.Error.WriteLine($"woven domain revoke: note: serial {MemberCertificate.FormatSerial(s)} is not in {store.IssuedLogFile}; revoking it anyway");
                targets.Add(s);
            }
            else
            {
                if (!DomainNames.IsLabel(memberName)) throw new UsageException($"--name: '{memberName}' is not {DomainNames.LabelRule}");
                targets.AddRange(issued.Where(e => e.Name == memberName && !e.IsExpiredAt(now)).Select(e => e.Serial));
                if (targets.Count == 0) throw new UsageException($"--name: no unexpired certificate was issued to '{memberName}' (see {store.IssuedLogFile}); check the name or use --serial");
            }
            var fresh = targets.Where(t => held?.IsRevoked(t) != true).Distinct().ToList();
            if (fresh.Count == 0)
            {
                Console.WriteLine($"already revoked: {string.Join(", ", targets.Select(MemberCertificate.FormatSerial))} (revocation list {held!.Sequence} unchanged)");
                return 0;
            }
            // Serials of certificates that expired long ago are dropped: an expired certificate is refused anyway.
            var pruneBefore = now - RevocationPruneAge;
            var longExpired = issued.Where(e => e.IsExpiredAt(pruneBefore)).Select(e => e.Serial).ToHashSet();
            var serials = (held?.Serials ?? []).Where(s => !longExpired.Contains(s)).Concat(fresh).Distinct().ToList();
            if (serials.Count > RevocationList.MaxSerials)
                throw new StateException($"the revocation list would hold {serials.Count} serials, more than {RevocationList.MaxSerials}; revoked certificates leave it 7 days after they expire, so issue shorter-lived certificates (--expires), or move the members to a new domain (woven domain init)");
            var list = RevocationList.Issue(authority, settings, (held?.Sequence ?? 0) + 1, now, serials);
            store.SaveRevocations(list);
            foreach (var s in fresh)
            {
                var who = issued.FirstOrDefault(e => e.Serial == s);
                Console.WriteLine($"revoked {MemberCertificate.FormatSerial(s)}{(who is null ? "" : $" ({who.Name})")}");
            }
            Console.WriteLine($"revocation list {list.Sequence} ({list.Serials.Count} serials) written to {store.RevocationsFile}");
            Console.WriteLine($"Members learn it from each other over their links; copy it to a member's STATE_DIR/{DomainStore.RevocationsFileName} to start it spreading.");
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var file = new Argument<string>("FILE") { Description = "A certificate, revocation list, domain file, join token file or key file", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var domain = new Option<string>("--domain") { Description = "A domain file to verify a certificate or revocation list against; a revocations.bin beside it is consulted too" };
        var command = new Command("show", "Print what a domain file holds, in readable form or as JSON") { file, json, domain };
        command.SetAction(parse => Run("show", () =>
        {
            var path = parse.GetValue(file);
            if (string.IsNullOrEmpty(path)) throw new UsageException("FILE: missing; give a file to show, e.g. woven domain show ./member.cert");
            if (!File.Exists(path)) throw new UsageException($"FILE: {path} does not exist");
            DomainSettings? against = null;
            RevocationList? revocations = null;
            if (parse.GetValue(domain) is { } domainFile)
            {
                if (!File.Exists(domainFile)) throw new UsageException($"--domain: {domainFile} does not exist; give the domain.json of the domain");
                against = DomainStore.LoadSettingsFile(domainFile);
                var beside = new DomainStore(Path.GetDirectoryName(Path.GetFullPath(domainFile))!);
                revocations = beside.LoadRevocations(against!);
            }
            var bytes = File.ReadAllBytes(path);
            var view = DomainFileView.Describe(path, bytes, against, revocations, Clock.GetUtcNow())
                ?? throw new StateException($"{path} is not a Woven domain file (certificate, revocation list, domain file, join token or key)");
            Console.Write(parse.GetValue(json) ? view.ToJson() : view.ToText());
            return 0;
        }));
        return command;
    }

    private static Command Token()
    {
        var dir = DirOption("The domain's CA directory");
        var member = new MemberOptions();
        var ttl = new Option<string>("--token-ttl") { Description = "How long the token can be redeemed with 'woven domain join'", DefaultValueFactory = _ => "1h" };
        var command = new Command("token", "Make a node key and its certificate, and print them with the domain settings as one secret join token") { dir, ttl };
        member.AddTo(command);
        command.SetAction(parse => Run("token", () =>
        {
            var store = new DomainStore(RequireDir(parse.GetValue(dir), "the domain's CA directory"));
            var (authority, settings) = LoadCa(store);
            var request = member.Parse(parse, settings);
            var redeemWithin = ParseDuration("--token-ttl", parse.GetValue(ttl)!);
            var now = Clock.GetUtcNow();
            var node = NodeIdentity.Generate();
            CheckNotIssuedToAnother(store, settings, request, node.PublicKey, now);
            var token = JoinToken.Create(authority, settings, request.Fields(settings, node.PublicKey, NewSerial(), now), now + redeemWithin, node);
            store.RecordIssued(DomainIssuedCertificate.From(token.Certificate, now));
            Console.Error.WriteLine($"join token for {token.Certificate.NodeName}.{settings.DnsZone}, certificate {MemberCertificate.FormatSerial(token.Certificate.Serial)} until {Date(token.Certificate.NotAfter)}; redeem by {Date(token.RedeemBy)}.");
            Console.Error.WriteLine("The token holds the member's private key: send it over a private channel, and revoke the serial if it leaks.");
            Console.Error.WriteLine("On the new node run: woven domain join --state-dir DIR < token-file   (or: woven domain join TOKEN --state-dir DIR)");
            Console.WriteLine(token.Encode());
            return 0;
        }));
        return command;
    }

    private static Command Join(Option<string> stateDir)
    {
        var tokenArgument = new Argument<string>("TOKEN") { Description = "The join token; omit it (or give '-') to read it from standard input, which keeps it out of the process list", Arity = ArgumentArity.ZeroOrOne };
        var force = new Option<bool>("--force") { Description = "Replace a different node key or another domain's files in the state directory" };
        var command = new Command("join", "Install a join token: the node key, its certificate and the domain file, into the state directory") { tokenArgument, stateDir, force };
        command.SetAction(parse => Run("join", () =>
        {
            var text = parse.GetValue(tokenArgument);
            if (text is null or "-")
            {
                if (!Console.IsInputRedirected) throw new UsageException("TOKEN: missing; give the token from 'woven domain token', or pipe it in: woven domain join --state-dir DIR < token-file");
                text = Console.In.ReadToEnd();
            }
            if (!JoinToken.TryDecode(text, out var token, out var error)) throw new UsageException($"TOKEN: {error}");
            var now = Clock.GetUtcNow();
            if (token!.RedeemError(now) is { } refused) throw new StateException(refused);
            var store = new DomainStore(parse.GetValue(stateDir)!);
            bool replace = parse.GetValue(force);
            var existingKey = store.LoadNodeKey();
            bool sameKey = existingKey is not null && existingKey.PublicKey.AsSpan().SequenceEqual(token.Node.PublicKey);
            if (existingKey is not null && !sameKey && !replace)
                throw new UsageException($"--force: {store.NodeKeyFile} holds another node key ({existingKey.Address.ToShortString()}); pass --force to replace it (the node's ring address changes), or use an empty --state-dir");
            var existingDomain = store.LoadSettings();
            if (existingDomain is not null && !existingDomain.SameAs(token.Domain) && !replace)
                throw new UsageException($"--force: {store.DomainFile} belongs to another domain ('{existingDomain.Name}'); pass --force to switch this node to '{token.Domain.Name}'");
            if (!sameKey) store.SaveNodeKey(token.Node);
            store.SaveCertificate(token.Certificate);
            store.SaveSettings(token.Domain);
            // A revocation list of the domain this node leaves would stop it from starting in the new one.
            if (File.Exists(store.RevocationsFile) && !(RevocationList.TryRead(File.ReadAllBytes(store.RevocationsFile), out var old) && old!.IsSignedBy(token.Domain)))
                File.Delete(store.RevocationsFile);
            var c = token.Certificate;
            var addresses = string.Join(", ", new[] { c.Ipv4, c.Ipv6 }.Where(a => a is not null));
            Console.WriteLine($"joined domain '{token.Domain.Name}' as {c.NodeName}.{token.Domain.DnsZone}{(addresses.Length > 0 ? $" ({addresses})" : "")}, certificate {MemberCertificate.FormatSerial(c.Serial)} until {Date(c.NotAfter)}");
            Console.WriteLine($"node {token.Node.Address} (public key {Convert.ToBase64String(token.Node.PublicKey)}); files in {store.Path}");
            Console.WriteLine($"CA public key {Convert.ToBase64String(token.Domain.CaPublicKey)}: compare it with the one the domain's owner gave you.");
            Console.WriteLine($"Start the node with: woven up --state-dir {store.Path}");
            return 0;
        }));
        return command;
    }

    // ---------- shared pieces ----------

    /// <summary>The flags that describe a member, shared by issue and token.</summary>
    private sealed class MemberOptions
    {
        private readonly Option<string> _name = new("--name") { Description = $"The member's name, unique in the domain: {DomainNames.LabelRule}" };
        private readonly Option<string> _ip = new("--ip") { Description = "A static IPv4 address inside the domain's range" };
        private readonly Option<string> _ip6 = new("--ip6") { Description = "A static IPv6 address inside the domain's IPv6 prefix" };
        private readonly Option<string> _groups = new("--groups") { Description = $"Groups, comma-separated, at most {CertificateFields.MaxGroups}: {DomainNames.GroupRule}" };
        private readonly Option<string> _expires = new("--expires") { Description = "How long the certificate is valid: 90d, 12h, 30m, 45s", DefaultValueFactory = _ => DefaultExpires };

        public void AddTo(Command command)
        {
            command.Options.Add(_name);
            command.Options.Add(_ip);
            command.Options.Add(_ip6);
            command.Options.Add(_groups);
            command.Options.Add(_expires);
        }

        public MemberRequest Parse(ParseResult parse, DomainSettings settings)
        {
            var name = parse.GetValue(_name);
            if (string.IsNullOrEmpty(name)) throw new UsageException("--name: missing; give the member's name, e.g. --name web1");
            if (!DomainNames.IsLabel(name)) throw new UsageException($"--name: '{name}' is not {DomainNames.LabelRule}");
            IPAddress? v4 = null, v6 = null;
            if (parse.GetValue(_ip) is { } ipText)
            {
                if (!IPAddress.TryParse(ipText, out v4) || v4.AddressFamily != AddressFamily.InterNetwork || ipText.Count(c => c == '.') != 3)
                    throw new UsageException($"--ip: '{ipText}' is not an IPv4 address like A.B.C.D");
                if (settings.MemberAddressError(v4) is { } e) throw new UsageException($"--ip: {e}");
            }
            if (parse.GetValue(_ip6) is { } ip6Text)
            {
                if (!IPAddress.TryParse(ip6Text, out v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                    throw new UsageException($"--ip6: '{ip6Text}' is not an IPv6 address");
                if (settings.MemberAddressError(v6) is { } e) throw new UsageException($"--ip6: {e}");
            }
            var groups = (parse.GetValue(_groups) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var g in groups)
            {
                if (!DomainNames.IsGroup(g)) throw new UsageException($"--groups: '{g}' is not {DomainNames.GroupRule}");
            }
            var canonical = CertificateFields.CanonicalGroups(groups);
            if (canonical.Count > CertificateFields.MaxGroups) throw new UsageException($"--groups: {canonical.Count} groups; a certificate holds at most {CertificateFields.MaxGroups}");
            return new MemberRequest(name, v4, v6, canonical, ParseDuration("--expires", parse.GetValue(_expires)!));
        }
    }

    private sealed record MemberRequest(string Name, IPAddress? Ipv4, IPAddress? Ipv6, IReadOnlyList<string> Groups, TimeSpan Lifetime)
    {
        public CertificateFields Fields(DomainSettings settings, byte[] nodeKey, ulong serial, DateTimeOffset now) => new(
            settings.Name, serial, nodeKey, Name, Ipv4, Ipv6, Groups,
            (ulong)Math.Max(0, (now - ClockSkewAllowance).ToUnixTimeSeconds()),
            (ulong)(now + Lifetime).ToUnixTimeSeconds());
    }

    /// <summary>
    /// One live certificate per name and per address: a certificate that has not expired and is not revoked blocks
    /// the same name or address for another key. Renewing for the same key is allowed.
    /// </summary>
    private static void CheckNotIssuedToAnother(DomainStore store, DomainSettings settings, MemberRequest request, byte[] nodeKey, DateTimeOffset now)
    {
        var revoked = LoadOwnRevocations(store, settings);
        var key = Convert.ToBase64String(nodeKey);
        foreach (var e in store.LoadIssued())
        {
            if (e.IsExpiredAt(now) || revoked?.IsRevoked(e.Serial) == true || e.PublicKey == key) continue;
            var fix = $"revoke it first with: woven domain revoke --dir {store.Path} --serial {MemberCertificate.FormatSerial(e.Serial)}";
            if (e.Name == request.Name)
                throw new UsageException($"--name: '{request.Name}' is already issued to another key (serial {MemberCertificate.FormatSerial(e.Serial)}, until {Date(e.NotAfter)}); choose another name or {fix}");
            if (request.Ipv4 is not null && request.Ipv4.Equals(e.Ipv4))
                throw new UsageException($"--ip: {request.Ipv4} is already issued to '{e.Name}' (serial {MemberCertificate.FormatSerial(e.Serial)}); choose another address or {fix}");
            if (request.Ipv6 is not null && request.Ipv6.Equals(e.Ipv6))
                throw new UsageException($"--ip6: {request.Ipv6} is already issued to '{e.Name}' (serial {MemberCertificate.FormatSerial(e.Serial)}); choose another address or {fix}");
        }
    }

    private static (DomainAuthority Authority, DomainSettings Settings) LoadCa(DomainStore store)
    {
        var authority = store.LoadAuthority();
        var settings = store.LoadSettings() ?? throw new StateException($"{store.DomainFile} is missing; the CA directory is damaged (restore domain.json from a member)");
        if (!authority.PublicKey.AsSpan().SequenceEqual(settings.CaPublicKey))
            throw new StateException($"{store.CaKeyFile} does not match the CA key in {store.DomainFile}; restore the matching pair");
        return (authority, settings);
    }

    /// <summary>The CA directory's own revocation list; one that does not verify is an error, not something to build on.</summary>
    private static RevocationList? LoadOwnRevocations(DomainStore store, DomainSettings settings) => store.LoadRevocations(settings);

    private static Option<string> DirOption(string description) => new("--dir") { Description = description };

    private static string RequireDir(string? dir, string what) =>
        string.IsNullOrEmpty(dir) ? throw new UsageException($"--dir: missing; give {what}") : dir;

    private static IPNetwork ParseNetwork(string flag, string text, string example)
    {
        if (!DomainSettings.TryParseCidr(text, out var network))
            throw new UsageException($"{flag}: '{text}' is not a CIDR range with zero host bits, e.g. {example}");
        return network;
    }

    private static IPNetwork RandomUniqueLocalPrefix()
    {
        // RFC 4193: fd00::/8 followed by a 40-bit random global ID gives a /48.
        var bytes = new byte[16];
        bytes[0] = 0xfd;
        RandomNumberGenerator.Fill(bytes.AsSpan(1, 5));
        return new IPNetwork(new IPAddress(bytes), 48);
    }

    private static ulong NewSerial()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong serial;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            serial = BitConverter.ToUInt64(bytes);
        }
        while (serial == 0);
        return serial;
    }

    /// <summary>90d, 12h, 30m or 45s; at most 100 years.</summary>
    internal static TimeSpan ParseDuration(string flag, string text)
    {
        var error = new UsageException($"{flag}: '{text}' is not a duration like 90d, 12h, 30m or 45s");
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0) throw error;
        long seconds = text[^1] switch
        {
            'd' => 86400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => throw error,
        };
        const long max = 36500L * 86400;
        if (n > max / seconds) throw new UsageException($"{flag}: '{text}' is longer than 100 years");
        return TimeSpan.FromSeconds(n * seconds);
    }

    internal static string Date(ulong unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(unixSeconds, 253402300799UL)).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Runs a subcommand: usage mistakes exit 2, problems with files exit 1, each as one line.</summary>
    private static int Run(string sub, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"woven domain {sub}: {e.Message}");
            return 2;
        }
        catch (StateException e)
        {
            Console.Error.WriteLine($"woven domain {sub}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"woven domain {sub}: {e.Message}");
            return 1;
        }
    }

    // ---------- show ----------

    /// <summary>A readable description of one file: rows of label and value, also written as JSON.</summary>
    private sealed class DomainFileView(string kind)
    {
        private readonly List<(string Label, string Json, object? Value)> _rows = [];

        private DomainFileView Add(string label, string json, object? value)
        {
            _rows.Add((label, json, value));
            return this;
        }

        public static DomainFileView? Describe(string path, byte[] bytes, DomainSettings? domain, RevocationList? revocations, DateTimeOffset now)
        {
            if (MemberCertificate.TryRead(bytes, out var certificate)) return Certificate(certificate!, domain, revocations, now);
            if (RevocationList.TryRead(bytes, out var list)) return Revocations(list!, domain);
            if (DomainSettings.TryRead(bytes, out var binarySettings)) return Settings(binarySettings!);
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(bytes).Trim();
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
            if (text.StartsWith('{'))
            {
                if (!DomainSettings.TryParseJson(text, out var settings, out var error)) throw new StateException($"{path} is not a valid domain file: {error}");
                return Settings(settings!);
            }
            if (text.StartsWith(JoinToken.TextPrefix, StringComparison.Ordinal))
            {
                if (!JoinToken.TryDecode(text, out var token, out var error)) throw new StateException($"{path}: {error}");
                return Token(token!, now);
            }
            if (text.StartsWith(DomainAuthority.KeyFileHeader, StringComparison.Ordinal) && DomainAuthority.TryDecodeKeyFile(bytes, out var authority, out _))
            {
                return new DomainFileView("domain CA private key (not shown)").Add("ca public key", "ca_public_key", Convert.ToBase64String(authority!.PublicKey));
            }
            if (text.StartsWith(NodeKeyFile.Header, StringComparison.Ordinal) && NodeKeyFile.TryDecode(bytes, out var identity, out _))
            {
                return new DomainFileView("node private key (not shown)")
                    .Add("public key", "public_key", Convert.ToBase64String(identity!.PublicKey))
                    .Add("ring address", "ring_address", identity.Address.ToString());
            }
            return null;
        }

        private static DomainFileView Settings(DomainSettings s) => new DomainFileView("domain")
            .Add("name", "name", s.Name)
            .Add("ipv4 range", "ipv4_range", s.Ipv4Range.ToString())
            .Add("ipv6 prefix", "ipv6_prefix", s.Ipv6Prefix?.ToString())
            .Add("dns zone", "dns_zone", s.DnsZone)
            .Add("ca public key", "ca_public_key", Convert.ToBase64String(s.CaPublicKey));

        private static DomainFileView Certificate(MemberCertificate c, DomainSettings? domain, RevocationList? revocations, DateTimeOffset now)
        {
            var view = new DomainFileView("member certificate")
                .Add("domain", "domain", c.Domain)
                .Add("serial", "serial", MemberCertificate.FormatSerial(c.Serial))
                .Add("node name", "node_name", c.NodeName)
                .Add("public key", "public_key", Convert.ToBase64String(c.NodePublicKey))
                .Add("ring address", "ring_address", c.NodeAddress.ToString())
                .Add("ipv4", "ipv4", c.Ipv4?.ToString())
                .Add("ipv6", "ipv6", c.Ipv6?.ToString())
                .Add("groups", "groups", c.Groups)
                .Add("not before", "not_before", Date(c.NotBefore))
                .Add("not after", "not_after", Date(c.NotAfter));
            if (domain is not null)
            {
                // The certificate's own key stands in for the key a peer would prove it holds.
                view.Add("check", "check", c.Verify(domain, c.NodePublicKey, now, revocations).ToString());
            }
            return view;
        }

        private static DomainFileView Revocations(RevocationList l, DomainSettings? domain)
        {
            var view = new DomainFileView("revocation list")
                .Add("domain", "domain", l.Domain)
                .Add("sequence", "sequence", l.Sequence)
                .Add("issued at", "issued_at", Date(l.IssuedAt))
                .Add("serials", "serials", l.Serials.Select(MemberCertificate.FormatSerial).ToList());
            if (domain is not null) view.Add("signature", "signature", l.IsSignedBy(domain) ? "valid" : "not this domain's CA");
            return view;
        }

        private static DomainFileView Token(JoinToken t, DateTimeOffset now) => new DomainFileView("join token (secret: holds a private key, not shown)")
            .Add("domain", "domain", t.Domain.Name)
            .Add("node name", "node_name", t.Certificate.NodeName)
            .Add("serial", "serial", MemberCertificate.FormatSerial(t.Certificate.Serial))
            .Add("public key", "public_key", Convert.ToBase64String(t.Node.PublicKey))
            .Add("ipv4", "ipv4", t.Certificate.Ipv4?.ToString())
            .Add("ipv6", "ipv6", t.Certificate.Ipv6?.ToString())
            .Add("groups", "groups", t.Certificate.Groups)
            .Add("redeem by", "redeem_by", Date(t.RedeemBy))
            .Add("certificate until", "not_after", Date(t.Certificate.NotAfter))
            .Add("check", "check", t.RedeemError(now) ?? "can be redeemed");

        public string ToText()
        {
            var sb = new StringBuilder();
            sb.Append(kind).Append('\n');
            foreach (var (label, _, value) in _rows)
            {
                var text = value switch
                {
                    null => "-",
                    IEnumerable<string> list => list.Any() ? string.Join(", ", list) : "-",
                    _ => Convert.ToString(value, CultureInfo.InvariantCulture),
                };
                sb.Append("  ").Append(label.PadRight(18)).Append(text).Append('\n');
            }
            return sb.ToString();
        }

        public string ToJson()
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("type", kind.Split(" (")[0].Replace(' ', '_'));
                foreach (var (_, name, value) in _rows)
                {
                    switch (value)
                    {
                        case null:
                            w.WriteNull(name);
                            break;
                        case ulong number:
                            w.WriteNumber(name, number);
                            break;
                        case IEnumerable<string> list:
                            w.WriteStartArray(name);
                            foreach (var item in list) w.WriteStringValue(item);
                            w.WriteEndArray();
                            break;
                        default:
                            w.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                            break;
                    }
                }
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
        }
    }
}
