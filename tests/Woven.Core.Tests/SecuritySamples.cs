using System.Net;
using Woven.Crypto;
using Woven.Security;

namespace Woven.Core.Tests;

/// <summary>Deterministic keys, domains, certificates, revocation lists and tokens shared by the security tests.</summary>
internal static class SecuritySamples
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    public static readonly DomainAuthority Ca = DomainAuthority.FromPrivateKey([.. Enumerable.Range(0, 32).Select(i => (byte)(i * 3 + 1))]);

    public static readonly DomainAuthority OtherCa = DomainAuthority.FromPrivateKey([.. Enumerable.Range(0, 32).Select(i => (byte)(200 - i))]);

    public static readonly NodeIdentity Node = NodeIdentity.FromPrivateKey([.. Enumerable.Range(0, 32).Select(i => (byte)(i + 100))]);

    public static readonly NodeIdentity OtherNode = NodeIdentity.FromPrivateKey([.. Enumerable.Range(0, 32).Select(i => (byte)(i ^ 0x5A))]);

    public static DomainSettings Domain { get; } = new("lab", IPNetwork.Parse("10.77.0.0/16"), IPNetwork.Parse("fd12:3456:789a::/48"), "lab.woven", Ca.PublicKey);

    public static DomainSettings DomainWithoutIpv6 { get; } = new("lab", IPNetwork.Parse("10.77.0.0/16"), null, "lab.woven", Ca.PublicKey);

    /// <summary>Another domain with the same name but its own CA.</summary>
    public static DomainSettings Impostor { get; } = new("lab", IPNetwork.Parse("10.77.0.0/16"), null, "lab.woven", OtherCa.PublicKey);

    public static DomainSettings OtherDomain { get; } = new("corp", IPNetwork.Parse("10.78.0.0/16"), null, "corp.woven", Ca.PublicKey);

    /// <summary>The longest settings: 63-character name, IPv6 prefix, 253-character zone.</summary>
    public static DomainSettings LargestDomain { get; } = new(
        new string('a', 63), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("fdff:ffff:ffff:ffff::/64"),
        string.Join('.', Enumerable.Repeat(new string('z', 63), 3)) + "." + new string('y', 61), Ca.PublicKey);

    public static CertificateFields Fields(ulong serial = 0x0102030405060708, NodeIdentity? node = null) => new(
        "lab", serial, (node ?? Node).PublicKey, "web1", IPAddress.Parse("10.77.0.5"), IPAddress.Parse("fd12:3456:789a::5"),
        ["ops", "web"], (ulong)Now.ToUnixTimeSeconds() - 3600, (ulong)Now.ToUnixTimeSeconds() + 86400);

    public static MemberCertificate Certificate { get; } = MemberCertificate.Issue(Ca, Domain, Fields());

    public static MemberCertificate MinimalCertificate { get; } = MemberCertificate.Issue(Ca, Domain, Fields() with
    {
        NodeName = "a", Ipv4 = null, Ipv6 = null, Groups = [], NotBefore = 0, NotAfter = 1,
    });

    public static MemberCertificate LargestCertificate { get; } = MemberCertificate.Issue(
        Ca,
        LargestDomain,
        new CertificateFields(
            LargestDomain.Name, ulong.MaxValue, Node.PublicKey, new string('n', 63), IPAddress.Parse("172.31.255.254"),
            IPAddress.Parse("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            [.. Enumerable.Range(0, CertificateFields.MaxGroups).Select(i => new string((char)('a' + i), DomainNames.MaxGroupLength))],
            253402300798, 253402300799));

    public static RevocationList Revocations(ulong sequence, params ulong[] serials) => RevocationList.Issue(Ca, Domain, sequence, Now, serials);

    public static RevocationList EmptyRevocations { get; } = Revocations(1);

    public static RevocationList SomeRevocations { get; } = Revocations(7, 5, 0x0102030405060708, 3, ulong.MaxValue);

    public static RevocationList LargestRevocations { get; } =
        RevocationList.Issue(Ca, LargestDomain, ulong.MaxValue, DateTimeOffset.FromUnixTimeSeconds(253402300799), Enumerable.Range(1, RevocationList.MaxSerials).Select(i => (ulong)i * 1_000_003));

    public static JoinToken Token { get; } = JoinToken.Create(Ca, Domain, Fields(), Now.AddHours(1), Node);

    public static IEnumerable<(string Name, byte[] Bytes)> ValidSettings() =>
    [
        ("domain", Domain.ToBytes()), ("domain without ipv6", DomainWithoutIpv6.ToBytes()), ("largest domain", LargestDomain.ToBytes()),
    ];

    public static IEnumerable<(string Name, byte[] Bytes)> ValidCertificates() =>
    [
        ("certificate", Certificate.ToBytes()), ("minimal certificate", MinimalCertificate.ToBytes()), ("largest certificate", LargestCertificate.ToBytes()),
    ];

    public static IEnumerable<(string Name, byte[] Bytes)> ValidRevocations() =>
    [
        ("empty list", EmptyRevocations.ToBytes()), ("some revocations", SomeRevocations.ToBytes()),
    ];

    public static byte[] TokenBytes()
    {
        var bytes = new byte[Token.Size];
        Assert.True(Token.TryWrite(bytes, out int n));
        Assert.Equal(bytes.Length, n);
        return bytes;
    }

    /// <summary>One decoder per binary format: true when the bytes decode.</summary>
    public static readonly (string Name, Func<byte[], bool> Decodes, Func<IEnumerable<byte[]>> Samples)[] Decoders =
    [
        ("settings", b => DomainSettings.TryRead(b, out _), () => ValidSettings().Select(s => s.Bytes)),
        ("certificate", b => MemberCertificate.TryRead(b, out _), () => ValidCertificates().Select(s => s.Bytes)),
        ("revocation list", b => RevocationList.TryRead(b, out _), () => ValidRevocations().Select(s => s.Bytes)),
        ("join token", b => JoinToken.TryRead(b, out _), () => [TokenBytes()]),
    ];
}
