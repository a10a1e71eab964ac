using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Woven.Crypto;
using Woven.Security;

namespace Woven.Integration.Tests;

/// <summary>
/// <c>woven domain</c> as a user runs it: a CA directory is created, members are issued, revoked and joined with
/// tokens; files are private; mistakes are named with their fix; private keys never reach the terminal unasked.
/// </summary>
public sealed class DomainCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _root = Directory.CreateTempSubdirectory("woven-domain-").FullName;
    private readonly List<WovenBinary.Result> _quietRuns = [];

    private string Ca => Path.Combine(_root, "ca");

    public void Dispose() => Directory.Delete(_root, true);

    /// <summary>Runs a command that must not print secrets; its output is checked against every key at the end of a test.</summary>
    private async Task<WovenBinary.Result> Run(params string[] args)
    {
        var r = await WovenBinary.RunAsync(Timeout, args);
        _quietRuns.Add(r);
        return r;
    }

    private async Task<WovenBinary.Result> RunOk(params string[] args)
    {
        var r = await Run(args);
        Assert.True(r.ExitCode == 0, $"woven {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private async Task InitAsync(params string[] extra) => await RunOk(["domain", "init", "lab", "--dir", Ca, .. extra]);

    private string CaPrivateKeyText => File.ReadAllText(Path.Combine(Ca, "ca.key")).Split('\n')[1];

    private void AssertNoSecretPrinted(params string[] secrets)
    {
        foreach (var r in _quietRuns)
        {
            foreach (var secret in secrets.Append(CaPrivateKeyText))
            {
                Assert.DoesNotContain(secret, r.Stdout);
                Assert.DoesNotContain(secret, r.Stderr);
            }
        }
    }

    private static void AssertPrivate(string path) => Assert.Equal(Private, File.GetUnixFileMode(path));

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public async Task Init_creates_a_private_ca_key_and_the_domain_file_and_refuses_to_overwrite()
    {
        var r = await Run("domain", "init", "lab", "--dir", Ca, "--ipv6", "auto");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("created domain 'lab'", r.Stdout);
        AssertPrivate(Path.Combine(Ca, "ca.key"));
        AssertPrivate(Path.Combine(Ca, "domain.json"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Ca));

        Assert.True(DomainSettings.TryParseJson(File.ReadAllText(Path.Combine(Ca, "domain.json")), out var settings, out var error), error);
        Assert.Equal("lab", settings!.Name);
        Assert.Equal("10.77.0.0/16", settings.Ipv4Range.ToString());
        Assert.Equal("lab.woven", settings.DnsZone);
        Assert.NotNull(settings.Ipv6Prefix);
        Assert.StartsWith("fd", settings.Ipv6Prefix.ToString());
        Assert.Contains(Convert.ToBase64String(settings.CaPublicKey), r.Stdout);

        var again = await Run("domain", "init", "lab", "--dir", Ca);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a domain", again.Stderr);
        Assert.Equal("", again.Stdout);

        var shown = Json((await RunOk("domain", "show", Path.Combine(Ca, "domain.json"), "--json")).Stdout);
        Assert.Equal("domain", shown.GetProperty("type").GetString());
        Assert.Equal(Convert.ToBase64String(settings.CaPublicKey), shown.GetProperty("ca_public_key").GetString());
        var key = await RunOk("domain", "show", Path.Combine(Ca, "ca.key"));
        Assert.Contains("not shown", key.Stdout);
        AssertNoSecretPrinted();
    }

    [Fact]
    public async Task Issue_show_and_revoke_a_member_by_its_public_key()
    {
        await InitAsync("--zone", "lab.example");
        var node = NodeIdentity.Generate();
        var cert = Path.Combine(_root, "web1.cert");
        var issued = await RunOk("domain", "issue", "--dir", Ca, "--name", "web1", "--key", Convert.ToBase64String(node.PublicKey),
            "--ip", "10.77.0.5", "--groups", "web,ops", "--expires", "12h", "--out", cert);
        Assert.Contains("web1.lab.example", issued.Stdout);
        AssertPrivate(cert);
        AssertPrivate(Path.Combine(Ca, "issued.log"));

        var shown = Json((await RunOk("domain", "show", cert, "--json", "--domain", Path.Combine(Ca, "domain.json"))).Stdout);
        Assert.Equal("member_certificate", shown.GetProperty("type").GetString());
        Assert.Equal("web1", shown.GetProperty("node_name").GetString());
        Assert.Equal("10.77.0.5", shown.GetProperty("ipv4").GetString());
        Assert.Equal(["ops", "web"], shown.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(Convert.ToBase64String(node.PublicKey), shown.GetProperty("public_key").GetString());
        Assert.Equal(node.Address.ToString(), shown.GetProperty("ring_address").GetString());
        Assert.Equal("Valid", shown.GetProperty("check").GetString());
        var serial = shown.GetProperty("serial").GetString()!;

        Assert.True(MemberCertificate.TryRead(File.ReadAllBytes(cert), out var certificate));
        Assert.True(DomainSettings.TryParseJson(File.ReadAllText(Path.Combine(Ca, "domain.json")), out var settings, out _));
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(CertificateCheck.Valid, certificate!.Verify(settings!, node.PublicKey, now, null));
        Assert.InRange((long)certificate.NotAfter - now.ToUnixTimeSeconds(), 12 * 3600 - 120, 12 * 3600 + 120);

        var revoked = await RunOk("domain", "revoke", "--dir", Ca, "--name", "web1");
        Assert.Contains($"revoked {serial} (web1)", revoked.Stdout);
        var list = Path.Combine(Ca, "revocations.bin");
        AssertPrivate(list);
        Assert.True(RevocationList.TryRead(File.ReadAllBytes(list), out var revocations));
        Assert.Equal(1UL, revocations!.Sequence);
        Assert.True(revocations.IsSignedBy(settings!));
        Assert.Equal(CertificateCheck.Revoked, certificate.Verify(settings!, node.PublicKey, now, revocations));
        Assert.Contains("Revoked", (await RunOk("domain", "show", cert, "--domain", Path.Combine(Ca, "domain.json"))).Stdout);

        var again = await RunOk("domain", "revoke", "--dir", Ca, "--serial", serial);
        Assert.Contains("already revoked", again.Stdout);
        await RunOk("domain", "revoke", "--dir", Ca, "--serial", "00000000000000ab");
        Assert.True(RevocationList.TryRead(File.ReadAllBytes(list), out revocations));
        Assert.Equal(2UL, revocations!.Sequence);
        Assert.Equal(new[] { 0xabUL, certificate.Serial }.Order(), revocations.Serials);
        var shownList = Json((await RunOk("domain", "show", list, "--json", "--domain", Path.Combine(Ca, "domain.json"))).Stdout);
        Assert.Equal(2UL, shownList.GetProperty("sequence").GetUInt64());
        Assert.Equal("valid", shownList.GetProperty("signature").GetString());
        AssertNoSecretPrinted();
    }

    [Fact]
    public async Task A_name_or_address_stays_with_its_key_until_revoked_and_renewal_is_allowed()
    {
        await InitAsync();
        var first = Convert.ToBase64String(NodeIdentity.Generate().PublicKey);
        var second = Convert.ToBase64String(NodeIdentity.Generate().PublicKey);
        await RunOk("domain", "issue", "--dir", Ca, "--name", "web1", "--key", first, "--ip", "10.77.0.5");
        await RunOk("domain", "issue", "--dir", Ca, "--name", "web1", "--key", first, "--ip", "10.77.0.5"); // renewal

        var sameName = await Run("domain", "issue", "--dir", Ca, "--name", "web1", "--key", second);
        Assert.Equal(2, sameName.ExitCode);
        Assert.Contains("--name: 'web1' is already issued to another key", sameName.Stderr);
        Assert.Contains("woven domain revoke", sameName.Stderr);
        var sameIp = await Run("domain", "issue", "--dir", Ca, "--name", "web2", "--key", second, "--ip", "10.77.0.5");
        Assert.Equal(2, sameIp.ExitCode);
        Assert.Contains("--ip: 10.77.0.5 is already issued to 'web1'", sameIp.Stderr);

        await RunOk("domain", "revoke", "--dir", Ca, "--name", "web1");
        await RunOk("domain", "issue", "--dir", Ca, "--name", "web1", "--key", second, "--ip", "10.77.0.5");
        Assert.Equal(3, Directory.GetFiles(Path.Combine(Ca, "certs")).Length);
        AssertNoSecretPrinted();
    }

    [Fact]
    public async Task A_token_joins_a_node_with_a_private_key_its_certificate_and_the_domain()
    {
        await InitAsync();
        var made = await WovenBinary.RunAsync(Timeout, "domain", "token", "--dir", Ca, "--name", "db1", "--ip", "10.77.1.1", "--groups", "db");
        Assert.Equal(0, made.ExitCode);
        var text = made.Stdout.Trim();
        Assert.DoesNotContain('\n', text);
        Assert.StartsWith(JoinToken.TextPrefix, text);
        Assert.Contains("private key", made.Stderr);
        Assert.DoesNotContain(CaPrivateKeyText, made.Stdout + made.Stderr);
        Assert.True(JoinToken.TryDecode(text, out var token, out var error), error);
        var nodePrivate = Convert.ToBase64String(token!.Node.ExportPrivateKey());

        var state = Path.Combine(_root, "node");
        var joined = await RunOk("domain", "join", text, "--state-dir", state);
        Assert.Contains("joined domain 'lab' as db1.lab.woven (10.77.1.1)", joined.Stdout);
        foreach (var f in new[] { "node.key", "member.cert", "domain.json" }) AssertPrivate(Path.Combine(state, f));
        Assert.True(NodeKeyFile.TryDecode(File.ReadAllBytes(Path.Combine(state, "node.key")), out var key, out _));
        Assert.Equal(token.Node.PublicKey, key!.PublicKey);
        Assert.Equal(token.Certificate.ToBytes(), File.ReadAllBytes(Path.Combine(state, "member.cert")));
        Assert.Equal(File.ReadAllText(Path.Combine(Ca, "domain.json")), File.ReadAllText(Path.Combine(state, "domain.json")));

        // Joining again with the same token is harmless; the token can also come on standard input.
        await RunOk("domain", "join", text, "--state-dir", state);
        var piped = await RunWithInputAsync(text + "\n", "domain", "join", "--state-dir", Path.Combine(_root, "piped"));
        Assert.Equal(0, piped.ExitCode);
        _quietRuns.Add(piped);

        // show describes a token without its private key.
        var tokenFile = Path.Combine(_root, "token.txt");
        File.WriteAllText(tokenFile, text);
        var shown = await RunOk("domain", "show", tokenFile);
        Assert.Contains("db1", shown.Stdout);
        Assert.Contains("can be redeemed", shown.Stdout);
        var nodeKeyShown = await RunOk("domain", "show", Path.Combine(state, "node.key"));
        Assert.Contains(key.Address.ToString(), nodeKeyShown.Stdout);

        AssertNoSecretPrinted(nodePrivate);
    }

    [Fact]
    public async Task Join_refuses_to_replace_another_key_or_domain_without_force()
    {
        await InitAsync();
        var state = Path.Combine(_root, "node");
        var first = (await WovenBinary.RunAsync(Timeout, "domain", "token", "--dir", Ca, "--name", "a1")).Stdout.Trim();
        var second = (await WovenBinary.RunAsync(Timeout, "domain", "token", "--dir", Ca, "--name", "a2")).Stdout.Trim();
        await RunOk("domain", "join", first, "--state-dir", state);
        var keyBefore = File.ReadAllBytes(Path.Combine(state, "node.key"));

        var refused = await Run("domain", "join", second, "--state-dir", state);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--force", refused.Stderr);
        Assert.Contains("another node key", refused.Stderr);
        Assert.Equal(keyBefore, File.ReadAllBytes(Path.Combine(state, "node.key")));

        await RunOk("domain", "join", second, "--state-dir", state, "--force");
        Assert.NotEqual(keyBefore, File.ReadAllBytes(Path.Combine(state, "node.key")));
        AssertPrivate(Path.Combine(state, "node.key"));
    }

    [Fact]
    public async Task Switching_a_node_to_another_domain_needs_force_and_drops_the_old_revocation_list()
    {
        await InitAsync();
        var corp = Path.Combine(_root, "corp");
        await RunOk("domain", "init", "corp", "--dir", corp, "--ipv4", "192.168.40.0/24");
        var state = Path.Combine(_root, "node");
        await RunOk("domain", "join", (await WovenBinary.RunAsync(Timeout, "domain", "token", "--dir", Ca, "--name", "m1")).Stdout.Trim(), "--state-dir", state);
        await RunOk("domain", "revoke", "--dir", Ca, "--serial", "0000000000000001");
        File.Copy(Path.Combine(Ca, "revocations.bin"), Path.Combine(state, "revocations.bin"));

        var token = (await WovenBinary.RunAsync(Timeout, "domain", "token", "--dir", corp, "--name", "m1", "--ip", "192.168.40.7")).Stdout.Trim();
        var refused = await Run("domain", "join", token, "--state-dir", state);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--force: ", refused.Stderr);
        Assert.True(File.Exists(Path.Combine(state, "revocations.bin")));

        var joined = await RunOk("domain", "join", token, "--state-dir", state, "--force");
        Assert.Contains("joined domain 'corp'", joined.Stdout);
        Assert.False(File.Exists(Path.Combine(state, "revocations.bin")));
        Assert.Contains("\"name\": \"corp\"", File.ReadAllText(Path.Combine(state, "domain.json")));
    }

    [Fact]
    public async Task Join_refuses_an_expired_or_damaged_token()
    {
        await InitAsync();
        Assert.True(DomainAuthority.TryDecodeKeyFile(File.ReadAllBytes(Path.Combine(Ca, "ca.key")), out var ca, out _));
        Assert.True(DomainSettings.TryParseJson(File.ReadAllText(Path.Combine(Ca, "domain.json")), out var settings, out _));
        var now = DateTimeOffset.UtcNow;
        var fields = new CertificateFields("lab", 42, new byte[32], "late", null, null, [], (ulong)now.AddHours(-2).ToUnixTimeSeconds(), (ulong)now.AddDays(1).ToUnixTimeSeconds());
        var expired = JoinToken.Create(ca!, settings!, fields, now.AddMinutes(-1)).Encode();
        var state = Path.Combine(_root, "node");

        var r = await Run("domain", "join", expired, "--state-dir", state);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the token expired", r.Stderr);
        Assert.False(File.Exists(Path.Combine(state, "node.key")));

        var damaged = await Run("domain", "join", expired[..^8], "--state-dir", state);
        Assert.Equal(2, damaged.ExitCode);
        Assert.Contains("TOKEN: the token's checksum does not match", damaged.Stderr);
        var missing = await Run("domain", "join", "--state-dir", state);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("TOKEN:", missing.Stderr);
    }

    [Theory]
    [InlineData("init|--dir|DIR", "NAME: missing")]
    [InlineData("init|Lab|--dir|DIR", "NAME: 'Lab' is not")]
    [InlineData("init|lab", "--dir: missing")]
    [InlineData("init|lab|--dir|DIR|--ipv4|10.77.0.1/16", "--ipv4: '10.77.0.1/16' is not a CIDR range with zero host bits")]
    [InlineData("init|lab|--dir|DIR|--ipv4|8.8.0.0/16", "--ipv4: '8.8.0.0/16' is not private address space")]
    [InlineData("init|lab|--dir|DIR|--ipv6|2001:db8::/48", "--ipv6: '2001:db8::/48' is not a unique local prefix")]
    [InlineData("init|lab|--dir|DIR|--zone|Lab.woven", "--zone: 'Lab.woven' is not")]
    [InlineData("issue|--dir|CA|--key|KEY", "--name: missing")]
    [InlineData("issue|--dir|CA|--name|web_1|--key|KEY", "--name: 'web_1' is not")]
    [InlineData("issue|--dir|CA|--name|web1", "--key: missing")]
    [InlineData("issue|--dir|CA|--name|web1|--key|AAAA", "--key: 'AAAA' is not base64 of a 32-byte public key")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--ip|10.78.0.1", "--ip: 10.78.0.1 is outside the domain's range 10.77.0.0/16")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--ip|10.77.0.0", "--ip: 10.77.0.0 is the network address")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--ip|10.77.1", "--ip: '10.77.1' is not an IPv4 address")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--ip6|fd00::1", "--ip6: the domain has no IPv6 prefix")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--groups|a,B", "--groups: 'B' is not")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--groups|a,b,c,d,e,f,g,h,i", "--groups: 9 groups; a certificate holds at most 8")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--expires|90x", "--expires: '90x' is not a duration like 90d")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--expires|0d", "--expires: '0d' is not a duration")]
    [InlineData("issue|--dir|CA|--name|web1|--key|KEY|--expires|99999999d", "--expires: '99999999d' is longer than 100 years")]
    [InlineData("revoke|--dir|CA", "give exactly one of --serial SERIAL and --name NAME")]
    [InlineData("revoke|--dir|CA|--serial|xyz", "--serial: 'xyz' is not a serial")]
    [InlineData("revoke|--dir|CA|--name|nobody", "--name: no unexpired certificate was issued to 'nobody'")]
    [InlineData("token|--dir|CA|--name|web1|--token-ttl|soon", "--token-ttl: 'soon' is not a duration")]
    [InlineData("show", "FILE: missing")]
    [InlineData("show|/nonexistent/file", "FILE: /nonexistent/file does not exist")]
    [InlineData("join|woven-join-v1.AAAAAAAA|--state-dir|DIR", "TOKEN: the token's checksum does not match")]
    [InlineData("join|nonsense|--state-dir|DIR", "TOKEN: a join token starts with 'woven-join-v1.'")]
    public async Task A_bad_flag_is_named_with_the_fix_and_exits_2(string args, string expected)
    {
        await InitAsync();
        var key = Convert.ToBase64String(NodeIdentity.Generate().PublicKey);
        var argv = args.Split('|').Select(a => a switch
        {
            "DIR" => Path.Combine(_root, "new"),
            "CA" => Ca,
            "KEY" => key,
            _ => a,
        }).ToArray();
        var r = await Run(["domain", .. argv]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains(expected, r.Stderr);
        Assert.StartsWith($"woven domain {argv[0]}: ", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal("", r.Stdout);
        AssertNoSecretPrinted();
    }

    [Fact]
    public async Task A_ca_key_that_others_can_read_is_refused()
    {
        await InitAsync();
        File.SetUnixFileMode(Path.Combine(Ca, "ca.key"), Private | UnixFileMode.OtherRead);
        var r = await Run("domain", "issue", "--dir", Ca, "--name", "web1", "--key", Convert.ToBase64String(NodeIdentity.Generate().PublicKey));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("chmod 600", r.Stderr);
        var notCa = await Run("domain", "issue", "--dir", _root, "--name", "web1", "--key", "x");
        Assert.Equal(1, notCa.ExitCode);
        Assert.Contains("not a domain CA directory", notCa.Stderr);
    }

    private static async Task<WovenBinary.Result> RunWithInputAsync(string input, params string[] args)
    {
        var psi = new ProcessStartInfo(WovenBinary.Path) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(cts.Token);
        return new WovenBinary.Result(process.ExitCode, await stdout, await stderr);
    }
}
