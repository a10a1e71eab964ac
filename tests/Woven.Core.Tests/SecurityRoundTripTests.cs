using System.Net;
using System.Text;
using Woven.Crypto;
using Woven.Security;
using static Woven.Core.Tests.SecuritySamples;

namespace Woven.Core.Tests;

public class SecurityRoundTripTests
{
    [Fact]
    public void Settings_round_trip_in_binary_and_json()
    {
        foreach (var settings in new[] { Domain, DomainWithoutIpv6, LargestDomain, OtherDomain })
        {
            var bytes = WireSamples.Encode(settings.Size, settings.TryWrite);
            Assert.True(DomainSettings.TryRead(bytes, out var decoded));
            Assert.True(decoded!.SameAs(settings));
            Assert.Equal(settings.Name, decoded.Name);
            Assert.Equal(settings.Ipv4Range, decoded.Ipv4Range);
            Assert.Equal(settings.Ipv6Prefix, decoded.Ipv6Prefix);
            Assert.Equal(settings.DnsZone, decoded.DnsZone);
            Assert.Equal(settings.CaPublicKey, decoded.CaPublicKey);

            Assert.True(DomainSettings.TryParseJson(settings.ToJson(), out var parsed, out var error), error);
            Assert.Equal(bytes, parsed!.ToBytes());
        }
    }

    [Fact]
    public void The_domain_file_is_readable_json_with_named_fields()
    {
        var json = Domain.ToJson();
        Assert.Contains("\"format\": \"woven-domain-v1\"", json);
        Assert.Contains("\"ipv4_range\": \"10.77.0.0/16\"", json);
        Assert.Contains("\"ipv6_prefix\": \"fd12:3456:789a::/48\"", json);
        Assert.Contains("\"dns_zone\": \"lab.woven\"", json);
        Assert.Contains($"\"ca_public_key\": \"{Convert.ToBase64String(Ca.PublicKey)}\"", json);
        Assert.Contains("\"ipv6_prefix\": null", DomainWithoutIpv6.ToJson());
        Assert.EndsWith("\n", json);
    }

    [Fact]
    public void Certificates_round_trip_and_reencode_to_the_same_bytes()
    {
        foreach (var certificate in new[] { Certificate, MinimalCertificate, LargestCertificate })
        {
            var bytes = WireSamples.Encode(certificate.Size, certificate.TryWrite);
            Assert.True(MemberCertificate.TryRead(bytes, out var decoded));
            Assert.Equal(certificate.Fields with { NodePublicKey = decoded!.NodePublicKey, Groups = decoded.Groups }, decoded.Fields);
            Assert.Equal(certificate.NodePublicKey, decoded.NodePublicKey);
            Assert.Equal(certificate.Groups, decoded.Groups);
            Assert.Equal(certificate.Signature, decoded.Signature);
            Assert.Equal(bytes, decoded.ToBytes());
        }
    }

    [Fact]
    public void The_largest_certificate_is_MaxSize_and_fits_a_datagram_with_room_to_spare()
    {
        Assert.Equal(MemberCertificate.MaxSize, LargestCertificate.Size);
        Assert.Equal(539, MemberCertificate.MaxSize);
        Assert.True(MemberCertificate.MaxSize < Wire.Envelope.MaxDatagramSize / 2);
    }

    [Fact]
    public void Certificate_layout_is_the_documented_one()
    {
        var bytes = MinimalCertificate.ToBytes();
        // "WVMC" 1 | 3 "lab" | serial | key | 1 "a" | flags 0 | groups 0 | not-before 0 | not-after 1 | signature
        Assert.Equal("WVMC"u8.ToArray(), bytes[..4]);
        Assert.Equal(1, bytes[4]);
        Assert.Equal(3, bytes[5]);
        Assert.Equal("lab"u8.ToArray(), bytes[6..9]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, bytes[9..17]);
        Assert.Equal(Node.PublicKey, bytes[17..49]);
        Assert.Equal(new byte[] { 1, (byte)'a', 0, 0 }, bytes[49..53]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, bytes[53..69]);
        Assert.Equal(69 + MemberCertificate.SignatureSize, bytes.Length);
    }

    [Fact]
    public void Revocation_lists_round_trip_sorted_and_deduplicated()
    {
        var list = RevocationList.Issue(Ca, Domain, 3, Now, [9, 2, 9, 5]);
        Assert.Equal(new ulong[] { 2, 5, 9 }, list.Serials);
        foreach (var l in new[] { list, EmptyRevocations, SomeRevocations, LargestRevocations })
        {
            var bytes = WireSamples.Encode(l.Size, l.TryWrite);
            Assert.True(RevocationList.TryRead(bytes, out var decoded));
            Assert.Equal(l.Domain, decoded!.Domain);
            Assert.Equal(l.Sequence, decoded.Sequence);
            Assert.Equal(l.IssuedAt, decoded.IssuedAt);
            Assert.Equal(l.Serials, decoded.Serials);
            Assert.Equal(bytes, decoded.ToBytes());
        }
        Assert.Equal(RevocationList.MaxSize, LargestRevocations.Size);
    }

    [Fact]
    public void The_largest_revocation_list_fits_one_sealed_link_datagram()
    {
        Assert.Equal(1431, RevocationList.MaxSize);
        Assert.True(RevocationList.MaxSize + Wire.Envelope.HeaderSize <= Wire.Sealed.MaxPlaintext);
    }

    [Fact]
    public void Join_tokens_round_trip_in_binary_and_text()
    {
        var bytes = WireSamples.Encode(Token.Size, Token.TryWrite);
        Assert.True(JoinToken.TryRead(bytes, out var decoded));
        Assert.Equal(Token.RedeemBy, decoded!.RedeemBy);
        Assert.Equal(Node.ExportPrivateKey().ToArray(), decoded.Node.ExportPrivateKey().ToArray());
        Assert.Equal(Token.Certificate.ToBytes(), decoded.Certificate.ToBytes());
        Assert.True(decoded.Domain.SameAs(Domain));

        var text = Token.Encode();
        Assert.StartsWith(JoinToken.TextPrefix, text);
        Assert.True(JoinToken.TryDecode($"  {text}\n", out var parsed, out var error), error);
        Assert.Equal(bytes, WireSamples.Encode(parsed!.Size, parsed.TryWrite));
        Assert.True(Token.Size <= JoinToken.MaxSize);
        Assert.DoesNotContain(Convert.ToBase64String(Node.ExportPrivateKey()), Token.ToString());
    }

    [Fact]
    public void A_token_made_without_a_key_gets_a_fresh_one_that_its_certificate_names()
    {
        var a = JoinToken.Create(Ca, Domain, Fields(), Now.AddHours(1));
        var b = JoinToken.Create(Ca, Domain, Fields(), Now.AddHours(1));
        Assert.NotEqual(a.Node.PublicKey, b.Node.PublicKey);
        Assert.Equal(a.Node.PublicKey, a.Certificate.NodePublicKey);
        Assert.Null(a.RedeemError(Now));
    }

    [Fact]
    public void The_ca_key_file_round_trips_and_hides_the_key_from_ToString()
    {
        var authority = DomainAuthority.Generate();
        var file = authority.EncodeKeyFile();
        Assert.StartsWith("woven-domain-ca-key-v1\n", Encoding.ASCII.GetString(file));
        Assert.True(DomainAuthority.TryDecodeKeyFile(file, out var decoded, out var error), error);
        Assert.Equal(authority.PublicKey, decoded!.PublicKey);
        var privateText = Encoding.ASCII.GetString(file).Split('\n')[1];
        Assert.DoesNotContain(privateText, authority.ToString());

        Assert.False(DomainAuthority.TryDecodeKeyFile(NodeKeyFile.Encode(Node), out _, out error));
        Assert.Contains("woven-domain-ca-key-v1", error);
        Assert.False(DomainAuthority.TryDecodeKeyFile("woven-domain-ca-key-v1\nAAAA\n"u8, out _, out error));
        Assert.Contains("32 bytes", error);
        Assert.False(DomainAuthority.TryDecodeKeyFile([0xFF, 0xFE], out _, out error));
    }

    [Theory]
    [InlineData("lab", true)]
    [InlineData("a", true)]
    [InlineData("web-1", true)]
    [InlineData("0", true)]
    [InlineData("", false)]
    [InlineData("-lab", false)]
    [InlineData("lab-", false)]
    [InlineData("Lab", false)]
    [InlineData("l_b", false)]
    [InlineData("lab.woven", false)]
    [InlineData("läb", false)]
    public void Names_are_lowercase_dns_labels(string name, bool valid)
    {
        Assert.Equal(valid, DomainNames.IsLabel(name));
        Assert.True(DomainNames.IsLabel(new string('x', 63)));
        Assert.False(DomainNames.IsLabel(new string('x', 64)));
        Assert.True(DomainNames.IsGroup(new string('x', 32)));
        Assert.False(DomainNames.IsGroup(new string('x', 33)));
    }

    [Theory]
    [InlineData("lab.woven", true)]
    [InlineData("woven", true)]
    [InlineData("a.b.c", true)]
    [InlineData("lab.woven.", false)]
    [InlineData(".woven", false)]
    [InlineData("lab..woven", false)]
    [InlineData("LAB.woven", false)]
    public void Zones_are_dot_separated_labels(string zone, bool valid)
    {
        Assert.Equal(valid, DomainNames.IsZone(zone));
        Assert.False(DomainNames.IsZone(LargestDomain.DnsZone + "x"));
    }

    [Fact]
    public void Member_addresses_must_be_host_addresses_inside_the_domain()
    {
        Assert.Null(Domain.MemberAddressError(IPAddress.Parse("10.77.0.1")));
        Assert.Null(Domain.MemberAddressError(IPAddress.Parse("10.77.255.254")));
        Assert.Contains("outside", Domain.MemberAddressError(IPAddress.Parse("10.78.0.1")));
        Assert.Contains("network address", Domain.MemberAddressError(IPAddress.Parse("10.77.0.0")));
        Assert.Contains("broadcast", Domain.MemberAddressError(IPAddress.Parse("10.77.255.255")));
        Assert.Null(Domain.MemberAddressError(IPAddress.Parse("fd12:3456:789a::1")));
        Assert.Contains("outside", Domain.MemberAddressError(IPAddress.Parse("fd12:3456:789b::1")));
        Assert.Contains("no IPv6 prefix", DomainWithoutIpv6.MemberAddressError(IPAddress.Parse("fd12:3456:789a::1")));
    }

    [Theory]
    [InlineData("10.77.0.0/16", null)]
    [InlineData("100.64.0.0/10", null)]
    [InlineData("192.168.7.0/24", null)]
    [InlineData("10.0.0.0/8", null)]
    [InlineData("8.8.0.0/16", "not private")]
    [InlineData("172.0.0.0/8", "not private")]
    [InlineData("10.0.0.0/31", "prefix length")]
    [InlineData("fd00::/48", "not an IPv4 range")]
    public void Ipv4_ranges_are_private_and_sized_for_hosts(string range, string? error)
    {
        var message = DomainSettings.Ipv4RangeError(IPNetwork.Parse(range));
        if (error is null) Assert.Null(message);
        else Assert.Contains(error, message);
    }

    [Theory]
    [InlineData("fd12:3456:789a::/48", null)]
    [InlineData("fc00:1:2:3::/64", null)]
    [InlineData("2001:db8::/48", "unique local")]
    [InlineData("fd00::/8", "prefix length")]
    [InlineData("10.0.0.0/16", "not an IPv6 prefix")]
    public void Ipv6_prefixes_are_unique_local(string prefix, string? error)
    {
        var message = DomainSettings.Ipv6PrefixError(IPNetwork.Parse(prefix));
        if (error is null) Assert.Null(message);
        else Assert.Contains(error, message);
    }

    [Fact]
    public void Issue_refuses_fields_the_format_or_the_domain_does_not_allow()
    {
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(OtherCa, Domain, Fields()));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, OtherDomain, Fields()));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields() with { Ipv4 = IPAddress.Parse("10.78.0.1") }));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, DomainWithoutIpv6, Fields()));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields() with { Groups = ["web", "ops"] }));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields() with { Groups = [.. Enumerable.Range(0, 9).Select(i => $"g{i}")] }));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields() with { NotAfter = Fields().NotBefore }));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields(serial: 0)));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields() with { NodeName = "Web1" }));
        Assert.Throws<ArgumentException>(() => MemberCertificate.Issue(Ca, Domain, Fields() with { NodePublicKey = new byte[31] }));
        Assert.Throws<ArgumentException>(() => RevocationList.Issue(Ca, Domain, 0, Now, []));
        Assert.Throws<ArgumentException>(() => RevocationList.Issue(Ca, Domain, 1, Now, [0]));
        Assert.Throws<ArgumentException>(() => RevocationList.Issue(OtherCa, Domain, 1, Now, []));
        Assert.Throws<ArgumentException>(() => RevocationList.Issue(Ca, Domain, 1, Now, Enumerable.Range(1, RevocationList.MaxSerials + 1).Select(i => (ulong)i)));
        Assert.Equal(new[] { "a", "b" }, CertificateFields.CanonicalGroups(["b", "a", "b"]));
    }

    [Fact]
    public void Writers_refuse_invalid_objects_instead_of_throwing()
    {
        var buffer = new byte[4096];
        Assert.False((Domain with { Name = "LAB" }).TryWrite(buffer, out _));
        Assert.False(new MemberCertificate(Fields() with { Groups = ["b", "a"] }, Certificate.Signature).TryWrite(buffer, out _));
        Assert.False(new MemberCertificate(Fields(), new byte[63]).TryWrite(buffer, out _));
        Assert.False(new RevocationList("lab", 1, 0, [2, 1], new byte[64]).TryWrite(buffer, out _));
        Assert.False(new JoinToken(Domain, OtherNode, Certificate, 0).TryWrite(buffer, out _));
        Assert.False(new JoinToken(Domain, NodeIdentity.FromPublicKeyOnly(Node.PublicKey), Certificate, 0).TryWrite(buffer, out _));
    }
}
