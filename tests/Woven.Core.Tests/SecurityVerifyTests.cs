using System.Net;
using Woven.Security;
using static Woven.Core.Tests.SecuritySamples;

namespace Woven.Core.Tests;

/// <summary>What a link handshake decides from a certificate, and how nodes settle on one revocation list.</summary>
public class SecurityVerifyTests
{
    private static CertificateCheck Check(MemberCertificate certificate, byte[]? key = null, DateTimeOffset? now = null, RevocationList? revocations = null, DomainSettings? domain = null) =>
        certificate.Verify(domain ?? Domain, key ?? Node.PublicKey, now ?? Now, revocations);

    [Fact]
    public void A_member_with_its_own_key_in_its_validity_period_is_valid()
    {
        Assert.Equal(CertificateCheck.Valid, Check(Certificate));
        Assert.Equal(CertificateCheck.Valid, Check(Certificate, revocations: EmptyRevocations));
        Assert.Equal(CertificateCheck.Valid, Check(Certificate, revocations: Revocations(2, 1, 2, 3)));
        Assert.Equal(CertificateCheck.Valid, MemberCertificate.Verify(Certificate.ToBytes(), Domain, Node.PublicKey, Now, null, out var decoded));
        Assert.Equal(Certificate.Serial, decoded!.Serial);
        // The domain file's text form is as good a trust root as the binary one.
        Assert.True(DomainSettings.TryParseJson(Domain.ToJson(), out var parsed, out _));
        Assert.Equal(CertificateCheck.Valid, Check(Certificate, domain: parsed));
    }

    [Fact]
    public void Validity_runs_from_not_before_to_not_after_inclusive()
    {
        var nb = DateTimeOffset.FromUnixTimeSeconds((long)Certificate.NotBefore);
        var na = DateTimeOffset.FromUnixTimeSeconds((long)Certificate.NotAfter);
        Assert.Equal(CertificateCheck.NotYetValid, Check(Certificate, now: nb.AddSeconds(-1)));
        Assert.Equal(CertificateCheck.Valid, Check(Certificate, now: nb));
        Assert.Equal(CertificateCheck.Valid, Check(Certificate, now: na));
        Assert.Equal(CertificateCheck.Expired, Check(Certificate, now: na.AddSeconds(1)));
        Assert.Equal(CertificateCheck.NotYetValid, Check(Certificate, now: DateTimeOffset.UnixEpoch.AddYears(-5)));
    }

    [Fact]
    public void A_certificate_for_another_key_is_a_key_mismatch()
    {
        Assert.Equal(CertificateCheck.KeyMismatch, Check(Certificate, key: OtherNode.PublicKey));
        Assert.Equal(CertificateCheck.KeyMismatch, Check(Certificate, key: new byte[31]));
    }

    [Fact]
    public void A_revoked_serial_is_refused()
    {
        Assert.Equal(CertificateCheck.Revoked, Check(Certificate, revocations: SomeRevocations));
        Assert.True(SomeRevocations.IsRevoked(Certificate.Serial));
        Assert.True(SomeRevocations.IsRevoked(3));
        Assert.True(SomeRevocations.IsRevoked(ulong.MaxValue));
        Assert.False(SomeRevocations.IsRevoked(4));
        Assert.False(EmptyRevocations.IsRevoked(Certificate.Serial));
    }

    [Fact]
    public void Another_domain_or_another_ca_is_refused()
    {
        var corp = MemberCertificate.Issue(Ca, OtherDomain, Fields() with { Domain = "corp", Ipv4 = IPAddress.Parse("10.78.0.9"), Ipv6 = null });
        Assert.Equal(CertificateCheck.WrongDomain, Check(corp));
        // Same name, different CA: the signature gives it away.
        Assert.Equal(CertificateCheck.BadSignature, Check(Certificate, domain: Impostor));
        var forged = MemberCertificate.Issue(OtherCa, Impostor, Fields() with { Ipv6 = null });
        Assert.Equal(CertificateCheck.BadSignature, Check(forged));
    }

    [Fact]
    public void Hand_built_certificates_that_break_the_format_are_malformed()
    {
        Assert.Equal(CertificateCheck.Malformed, Check(new MemberCertificate(Fields() with { Groups = ["web", "ops"] }, Certificate.Signature)));
        Assert.Equal(CertificateCheck.Malformed, Check(new MemberCertificate(Fields(), new byte[10])));
        Assert.Equal(CertificateCheck.Malformed, MemberCertificate.Verify(Certificate.ToBytes().AsSpan(..^1), Domain, Node.PublicKey, Now, null, out var c));
        Assert.Null(c);
        Assert.Equal(CertificateCheck.Malformed, MemberCertificate.Verify([], Domain, Node.PublicKey, Now, null, out _));
    }

    [Fact]
    public void Checks_report_the_first_failure_in_a_fixed_order()
    {
        // Expired, revoked and for another key at once: the key mismatch is reported.
        var late = Now.AddYears(5);
        Assert.Equal(CertificateCheck.KeyMismatch, Check(Certificate, key: OtherNode.PublicKey, now: late, revocations: SomeRevocations));
        Assert.Equal(CertificateCheck.Revoked, Check(Certificate, now: late, revocations: SomeRevocations));
        // A tampered certificate is a bad signature whatever else is wrong with it.
        var tampered = new MemberCertificate(Certificate.Fields with { NotAfter = Certificate.NotAfter + 1 }, Certificate.Signature);
        Assert.Equal(CertificateCheck.BadSignature, Check(tampered, key: OtherNode.PublicKey, now: late));
    }

    [Fact]
    public void Every_single_bit_flip_of_a_certificate_invalidates_it()
    {
        foreach (var (name, bytes) in ValidCertificates())
        {
            var domain = name == "largest certificate" ? LargestDomain : Domain;
            Assert.True(MemberCertificate.TryRead(bytes, out var original));
            var now = DateTimeOffset.FromUnixTimeSeconds((long)original!.NotBefore);
            Assert.Equal(CertificateCheck.Valid, original.Verify(domain, Node.PublicKey, now, null));
            for (int bit = 0; bit < bytes.Length * 8; bit++)
            {
                var copy = (byte[])bytes.Clone();
                copy[bit / 8] ^= (byte)(1 << (bit % 8));
                var check = MemberCertificate.Verify(copy, domain, Node.PublicKey, now, null, out _);
                Assert.True(check != CertificateCheck.Valid, $"{name}: flipping bit {bit} left it valid");
            }
        }
    }

    [Fact]
    public void Every_single_bit_flip_of_a_revocation_list_invalidates_it()
    {
        foreach (var (name, bytes) in ValidRevocations())
        {
            Assert.True(RevocationList.TryRead(bytes, out var original));
            Assert.True(original!.IsSignedBy(Domain));
            for (int bit = 0; bit < bytes.Length * 8; bit++)
            {
                var copy = (byte[])bytes.Clone();
                copy[bit / 8] ^= (byte)(1 << (bit % 8));
                bool accepted = RevocationList.TryRead(copy, out var list) && list!.IsSignedBy(Domain);
                Assert.False(accepted, $"{name}: flipping bit {bit} left it valid");
                if (list is not null) Assert.Same(EmptyRevocations, RevocationList.Merge(EmptyRevocations, list, Domain));
            }
        }
    }

    [Fact]
    public void A_revocation_list_is_only_signed_for_its_own_domain()
    {
        Assert.True(SomeRevocations.IsSignedBy(Domain));
        Assert.True(SomeRevocations.IsSignedBy(DomainWithoutIpv6)); // same name and CA key
        Assert.False(SomeRevocations.IsSignedBy(Impostor));
        Assert.False(SomeRevocations.IsSignedBy(OtherDomain));
        var resigned = new RevocationList("lab", SomeRevocations.Sequence + 1, SomeRevocations.IssuedAt, SomeRevocations.Serials, SomeRevocations.Signature);
        Assert.False(resigned.IsSignedBy(Domain));
    }

    [Fact]
    public void Verify_refuses_a_revocation_list_the_node_should_never_have_kept()
    {
        var foreign = RevocationList.Issue(OtherCa, Impostor, 9, Now, [Certificate.Serial]);
        Assert.Throws<ArgumentException>(() => Check(Certificate, revocations: foreign));
    }

    [Fact]
    public void Merge_keeps_the_highest_sequence_that_verifies()
    {
        var one = Revocations(1, 10);
        var two = Revocations(2, 10, 20);
        var three = Revocations(3, 10, 20, 30);
        Assert.Same(one, RevocationList.Merge(null, one, Domain));
        Assert.Same(two, RevocationList.Merge(one, two, Domain));
        Assert.Same(two, RevocationList.Merge(two, one, Domain));
        Assert.Same(three, RevocationList.Merge(two, three, Domain));
        Assert.Same(two, RevocationList.Merge(two, two, Domain));

        // Unsigned, re-signed by another CA, or for another domain: ignored.
        var forged = RevocationList.Issue(OtherCa, Impostor, 99, Now, []);
        Assert.Same(two, RevocationList.Merge(two, forged, Domain));
        Assert.Null(RevocationList.Merge(null, forged, Domain));
        var corp = RevocationList.Issue(Ca, OtherDomain, 99, Now, []);
        Assert.Same(two, RevocationList.Merge(two, corp, Domain));
        var unsigned = new RevocationList("lab", 100, 0, [], new byte[64]);
        Assert.Same(two, RevocationList.Merge(two, unsigned, Domain));
    }

    [Fact]
    public void Merge_settles_on_the_same_list_whatever_the_order_of_arrival()
    {
        // Two different lists with one sequence (a CA directory restored from a backup): more serials win, then bytes.
        var a = Revocations(5, 1, 2);
        var b = Revocations(5, 1, 2, 3);
        var c = Revocations(5, 1, 4, 9);
        var d = Revocations(6);
        var lists = new[] { a, b, c, d };
        RevocationList? expected = null;
        foreach (var order in Permutations(lists))
        {
            RevocationList? held = null;
            foreach (var l in order) held = RevocationList.Merge(held, l, Domain);
            expected ??= held;
            Assert.Same(expected, held);
        }
        Assert.Same(d, expected);

        var winner = RevocationList.Merge(RevocationList.Merge(a, b, Domain), c, Domain)!;
        Assert.Same(winner, RevocationList.Merge(RevocationList.Merge(c, a, Domain), b, Domain));
        Assert.Equal(3, winner.Serials.Count);
    }

    [Fact]
    public void A_token_is_redeemable_until_its_deadline_while_its_certificate_is_valid()
    {
        Assert.Null(Token.RedeemError(Now));
        Assert.Null(Token.RedeemError(Now.AddHours(1)));
        Assert.Contains("expired", Token.RedeemError(Now.AddHours(1).AddSeconds(1)));
        Assert.Contains("NotYetValid", Token.RedeemError(Now.AddDays(-2)));
        var impostor = new JoinToken(Impostor, Node, Certificate, Token.RedeemBy);
        Assert.Contains("BadSignature", impostor.RedeemError(Now));
    }

    private static IEnumerable<T[]> Permutations<T>(T[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }
        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest)) yield return [items[i], .. p];
        }
    }
}
