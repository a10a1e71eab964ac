using System.Net;
using System.Text;
using Woven.Crypto;
using Woven.Security;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// The domain formats (src/Woven.Core/Security) that arrive from peers (member certificates in handshakes, revocation
/// lists over links) or from files and the clipboard (domain settings and domain.json, join tokens, key files). All
/// seeds are signed by a seeded CA, so that verification can succeed.
/// </summary>
internal static class SecurityTargets
{
    public const int MaxInput = 4096;

    /// <summary>The time at which certificates are checked: inside the validity of most seeds.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static IEnumerable<FuzzTarget> Create(Random rng)
    {
        var c = new SecurityCorpus(rng);

        yield return new DecoderTarget("cert.read", "security", "MemberCertificate.TryRead", c.Certificates,
            input =>
            {
                if (!MemberCertificate.TryRead(input, out var certificate)) return false;
                // Whatever decodes must encode again to the same bytes.
                var again = certificate!.ToBytes();
                if (!again.AsSpan().SequenceEqual(input)) throw new FuzzViolationException($"a decoded certificate encodes to other bytes: {Convert.ToHexStringLower(again)}");
                return true;
            }, MaxInput);

        yield return new DecoderTarget("cert.verify", "security", "MemberCertificate.Verify (decode, domain, CA signature, key, revocation, validity)", c.Certificates,
            input => MemberCertificate.Verify(input, c.Domain, c.NodeKey, Now, c.HeldRevocations, out _) == CertificateCheck.Valid, MaxInput);

        yield return new DecoderTarget("crl.read", "security", "RevocationList.TryRead", c.RevocationLists,
            input =>
            {
                if (!RevocationList.TryRead(input, out var list)) return false;
                var again = list!.ToBytes();
                if (!again.AsSpan().SequenceEqual(input)) throw new FuzzViolationException($"a decoded revocation list encodes to other bytes: {Convert.ToHexStringLower(again)}");
                return true;
            }, MaxInput);

        yield return new DecoderTarget("crl.merge", "security", "RevocationList.TryRead then Merge with the held list (signature, sequence)", c.RevocationLists,
            input => RevocationList.TryRead(input, out var list) && ReferenceEquals(RevocationList.Merge(c.HeldRevocations, list!, c.Domain), list), MaxInput);

        yield return new DecoderTarget("domain.read", "security", "DomainSettings.TryRead (binary form)", c.SettingsBinary,
            input =>
            {
                if (!DomainSettings.TryRead(input, out var settings)) return false;
                var again = settings!.ToBytes();
                if (!again.AsSpan().SequenceEqual(input)) throw new FuzzViolationException($"decoded domain settings encode to other bytes: {Convert.ToHexStringLower(again)}");
                return true;
            }, MaxInput);

        yield return new DecoderTarget("domain.json", "security", "DomainSettings.TryParseJson (domain.json, read as UTF-8)", c.SettingsJson,
            input =>
            {
                if (!DomainSettings.TryParseJson(Encoding.UTF8.GetString(input), out var settings, out _)) return false;
                _ = settings!.ToJson();
                return true;
            }, MaxInput);

        yield return new DecoderTarget("token.read", "security", "JoinToken.TryRead (binary form)", c.TokensBinary,
            input => JoinToken.TryRead(input, out _), MaxInput);

        yield return new DecoderTarget("token.text", "security", "JoinToken.TryDecode (the pasted text form, read as UTF-8)", c.TokensText,
            input =>
            {
                if (!JoinToken.TryDecode(Encoding.UTF8.GetString(input), out var token, out _)) return false;
                _ = token!.RedeemError(Now);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("keyfile.node", "security", "NodeKeyFile.TryDecode (node key file)", c.NodeKeyFiles,
            input => NodeKeyFile.TryDecode(input, out _, out _), 512);

        yield return new DecoderTarget("keyfile.ca", "security", "DomainAuthority.TryDecodeKeyFile (CA key file)", c.CaKeyFiles,
            input => DomainAuthority.TryDecodeKeyFile(input, out _, out _), 512);
    }
}

/// <summary>Valid, signed domain objects made with the real issuing code from seeded keys.</summary>
internal sealed class SecurityCorpus
{
    public SecurityCorpus(Random rng)
    {
        var ca = DomainAuthority.FromPrivateKey(Bytes(rng, 32));
        var otherCa = DomainAuthority.FromPrivateKey(Bytes(rng, 32));
        Domain = new DomainSettings("lab", IPNetwork.Parse("10.77.0.0/16"), IPNetwork.Parse("fd12:3456:789a::/48"), "lab.woven", ca.PublicKey);
        var office = new DomainSettings("office", IPNetwork.Parse("192.168.40.0/24"), null, "office.example.org", otherCa.PublicKey);
        var wide = new DomainSettings(new string('w', 63), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("fd00:1:2:3::/64"),
            string.Join('.', Enumerable.Repeat(new string('z', 49), 5)), ca.PublicKey);
        var node = NodeIdentity.FromPrivateKey(Bytes(rng, 32));
        var other = NodeIdentity.FromPrivateKey(Bytes(rng, 32));
        NodeKey = node.PublicKey;

        ulong now = (ulong)SecurityTargets.Now.ToUnixTimeSeconds();
        const ulong Day = 86400;
        CertificateFields Fields(ulong serial, byte[] key, string name) =>
            new("lab", serial, key, name, null, null, [], now - Day, now + 30 * Day);

        Certificates =
        [
            Issue(ca, Domain, Fields(0x1001, NodeKey, "alpha") with
            {
                Ipv4 = IPAddress.Parse("10.77.0.5"), Ipv6 = IPAddress.Parse("fd12:3456:789a::5"), Groups = ["admins", "ops"],
            }),
            Issue(ca, Domain, Fields(0x1002, NodeKey, "beta")),
            Issue(ca, Domain, Fields(0x1003, NodeKey, "revoked")),
            Issue(ca, Domain, Fields(0x1004, NodeKey, "expired") with { NotBefore = now - 60 * Day, NotAfter = now - 3600 }),
            Issue(ca, Domain, Fields(0x1005, NodeKey, "later") with { NotBefore = now + Day, NotAfter = now + 9 * Day }),
            Issue(ca, Domain, Fields(0x1006, other.PublicKey, "stranger")),
            Issue(ca, Domain, Fields(0x1007, NodeKey, new string('n', 63)) with
            {
                Groups = [.. Enumerable.Range(0, CertificateFields.MaxGroups).Select(i => $"{(char)('a' + i)}{new string('g', 31)}")],
                Ipv4 = IPAddress.Parse("10.77.255.254"),
            }),
            Issue(otherCa, office, new CertificateFields("office", 0x2001, NodeKey, "alpha", IPAddress.Parse("192.168.40.9"), null, ["staff"], now - Day, now + Day)),
        ];

        HeldRevocations = RevocationList.Issue(ca, Domain, 3, SecurityTargets.Now, [0x1003, 0x9000]);
        RevocationLists =
        [
            HeldRevocations.ToBytes(),
            RevocationList.Issue(ca, Domain, 1, SecurityTargets.Now, []).ToBytes(),
            RevocationList.Issue(ca, Domain, 3, SecurityTargets.Now, [0x1003, 0x9000, 0x9001]).ToBytes(),
            RevocationList.Issue(ca, Domain, 4, SecurityTargets.Now, [0x1003]).ToBytes(),
            RevocationList.Issue(ca, Domain, 9, SecurityTargets.Now, Enumerable.Range(1, 120).Select(i => (ulong)i * 7919)).ToBytes(),
            RevocationList.Issue(otherCa, office, 5, SecurityTargets.Now, [0x2001]).ToBytes(),
        ];

        SettingsBinary = [Domain.ToBytes(), office.ToBytes(), wide.ToBytes()];
        SettingsJson = [Encoding.UTF8.GetBytes(Domain.ToJson()), Encoding.UTF8.GetBytes(office.ToJson()), Encoding.UTF8.GetBytes(wide.ToJson())];

        var redeemBy = SecurityTargets.Now.AddDays(1);
        var tokens = new[]
        {
            JoinToken.Create(ca, Domain, Fields(0x3001, NodeKey, "gamma") with { Ipv4 = IPAddress.Parse("10.77.1.1"), Groups = ["ops"] }, redeemBy, NodeIdentity.FromPrivateKey(Bytes(rng, 32))),
            JoinToken.Create(ca, wide, Fields(0x3002, NodeKey, "delta") with { Domain = wide.Name }, redeemBy, NodeIdentity.FromPrivateKey(Bytes(rng, 32))),
        };
        TokensBinary = [.. tokens.Select(t =>
        {
            var bytes = new byte[t.Size];
            if (!t.TryWrite(bytes, out int n) || n != bytes.Length) throw new InvalidOperationException("a join token did not encode");
            return bytes;
        })];
        TokensText = [.. tokens.Select(t => Encoding.UTF8.GetBytes(t.Encode()))];
        NodeKeyFiles = [NodeKeyFile.Encode(node), NodeKeyFile.Encode(other)];
        CaKeyFiles = [ca.EncodeKeyFile(), otherCa.EncodeKeyFile()];
    }

    public DomainSettings Domain { get; }
    public byte[] NodeKey { get; }
    public RevocationList HeldRevocations { get; }
    public byte[][] Certificates { get; }
    public byte[][] RevocationLists { get; }
    public byte[][] SettingsBinary { get; }
    public byte[][] SettingsJson { get; }
    public byte[][] TokensBinary { get; }
    public byte[][] TokensText { get; }
    public byte[][] NodeKeyFiles { get; }
    public byte[][] CaKeyFiles { get; }

    private static byte[] Issue(DomainAuthority ca, DomainSettings domain, CertificateFields fields) => MemberCertificate.Issue(ca, domain, fields).ToBytes();

    private static byte[] Bytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
