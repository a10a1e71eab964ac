using System.Buffers.Binary;
using System.Text;
using Woven.Security;
using static Woven.Core.Tests.SecuritySamples;

namespace Woven.Core.Tests;

/// <summary>The domain formats accept exactly their canonical encodings and refuse everything else without throwing.</summary>
public class SecurityMalformedTests
{
    private static byte[] With(byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    // Offsets in Certificate (domain "lab", name "web1", both addresses, groups "ops" and "web").
    private const int CertDomainLength = 5;
    private const int CertNameLength = 5 + 4 + 8 + 32;        // 49
    private const int CertFlags = CertNameLength + 5;          // 54
    private const int CertGroupCount = CertFlags + 1 + 4 + 16; // 75

    [Fact]
    public void Every_truncation_of_every_format_fails_to_decode()
    {
        foreach (var (name, decodes, samples) in Decoders)
        {
            foreach (var bytes in samples())
            {
                Assert.True(decodes(bytes), name);
                for (int length = 0; length < bytes.Length; length++)
                {
                    Assert.False(decodes(bytes[..length]), $"{name} cut to {length} of {bytes.Length} bytes");
                }
            }
        }
    }

    [Fact]
    public void Trailing_bytes_after_any_format_fail_to_decode()
    {
        var random = new Random(61);
        foreach (var (name, decodes, samples) in Decoders)
        {
            foreach (var bytes in samples())
            {
                foreach (int extra in new[] { 1, 2, 8, 64, 100 })
                {
                    foreach (bool zeros in new[] { true, false })
                    {
                        var tail = new byte[extra];
                        if (!zeros) random.NextBytes(tail);
                        Assert.False(decodes([.. bytes, .. tail]), $"{name} + {extra} bytes");
                    }
                }
            }
        }
    }

    [Fact]
    public void A_wrong_magic_or_version_fails_to_decode()
    {
        foreach (var (name, decodes, samples) in Decoders)
        {
            var bytes = samples().First();
            for (int i = 0; i < 4; i++) Assert.False(decodes(With(bytes, i, (byte)(bytes[i] ^ 0x20))), $"{name} magic byte {i}");
            foreach (byte version in new byte[] { 0, 2, 0x81, 0xFF }) Assert.False(decodes(With(bytes, 4, version)), $"{name} version {version}");
        }
        // Each format refuses the others' bytes.
        foreach (var (name, decodes, _) in Decoders)
        {
            foreach (var (other, _, samples) in Decoders)
            {
                if (other != name) Assert.False(decodes(samples().First()), $"{name} decoder given a {other}");
            }
        }
    }

    [Fact]
    public void Oversized_and_zero_counts_and_lengths_fail_to_decode()
    {
        var cert = Certificate.ToBytes();
        foreach (byte n in new byte[] { 0, 2, 4, 64, 255 }) Assert.False(MemberCertificate.TryRead(With(cert, CertDomainLength, n), out _), $"domain length {n}");
        foreach (byte n in new byte[] { 0, 3, 5, 64, 255 }) Assert.False(MemberCertificate.TryRead(With(cert, CertNameLength, n), out _), $"name length {n}");
        foreach (byte n in new byte[] { 0, 1, 3, 9, 255 }) Assert.False(MemberCertificate.TryRead(With(cert, CertGroupCount, n), out _), $"group count {n}");

        // A group count of 9 with nine well-formed groups behind it.
        var nine = CertificateWithGroupBytes(Enumerable.Range(0, 9).Select(i => $"g{i}"));
        Assert.False(MemberCertificate.TryRead(nine, out _));
        var eight = CertificateWithGroupBytes(Enumerable.Range(0, 8).Select(i => $"g{i}"));
        Assert.True(MemberCertificate.TryRead(eight, out _));

        // A group name over 32 characters.
        Assert.False(MemberCertificate.TryRead(CertificateWithGroupBytes([new string('g', 33)]), out _));
        Assert.True(MemberCertificate.TryRead(CertificateWithGroupBytes([new string('g', 32)]), out _));

        // Revocation counts that disagree with the length, and a count over the maximum.
        var list = SomeRevocations.ToBytes();
        int countOffset = 5 + 4 + 8 + 8;
        foreach (ushort n in new ushort[] { 0, 3, 5, RevocationList.MaxSerials + 1, 4097, ushort.MaxValue })
        {
            var copy = (byte[])list.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(countOffset), n);
            Assert.False(RevocationList.TryRead(copy, out _), $"count {n}");
        }
        var over = RevocationListBytes(Enumerable.Range(1, RevocationList.MaxSerials + 1).Select(i => (ulong)i));
        Assert.False(RevocationList.TryRead(over, out _));
        var full = RevocationListBytes(Enumerable.Range(1, RevocationList.MaxSerials).Select(i => (ulong)i));
        Assert.True(RevocationList.TryRead(full, out _));

        // Token lengths that point past the end or short of it.
        var token = TokenBytes();
        foreach (ushort n in new ushort[] { 0, 1, (ushort)(Domain.Size - 1), (ushort)(Domain.Size + 1), ushort.MaxValue })
        {
            var copy = (byte[])token.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(13), n);
            Assert.False(JoinToken.TryRead(copy, out _), $"settings length {n}");
        }
    }

    [Fact]
    public void Non_canonical_certificates_fail_to_decode()
    {
        var cert = Certificate.ToBytes();
        foreach (byte flags in new byte[] { 0x04, 0x80, 0xFF }) Assert.False(MemberCertificate.TryRead(With(cert, CertFlags, (byte)(cert[CertFlags] | flags)), out _), $"flags {flags}");
        Assert.False(MemberCertificate.TryRead(With(cert, CertNameLength + 1, (byte)'W'), out _), "upper-case name");
        Assert.False(MemberCertificate.TryRead(With(cert, CertNameLength + 1, (byte)'-'), out _), "name starting with '-'");
        Assert.False(MemberCertificate.TryRead(With(cert, CertNameLength + 1, 0), out _), "NUL in the name");
        Assert.False(MemberCertificate.TryRead(With(cert, CertDomainLength + 1, 0xC3), out _), "non-ASCII domain");
        Assert.False(MemberCertificate.TryRead(ZeroSerial(cert), out _), "serial 0");
        Assert.False(MemberCertificate.TryRead(CertificateWithGroupBytes(["web", "ops"]), out _), "unsorted groups");
        Assert.False(MemberCertificate.TryRead(CertificateWithGroupBytes(["ops", "ops"]), out _), "duplicate groups");

        // not-after before not-before, and times beyond the year 9999.
        int notBefore = cert.Length - MemberCertificate.SignatureSize - 16;
        var swapped = (byte[])cert.Clone();
        cert.AsSpan(notBefore, 8).CopyTo(swapped.AsSpan(notBefore + 8));
        Assert.False(MemberCertificate.TryRead(swapped, out _), "not-after equal to not-before");
        var far = (byte[])cert.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(far.AsSpan(notBefore + 8), 253402300800);
        Assert.False(MemberCertificate.TryRead(far, out _), "not-after beyond 9999");
    }

    [Fact]
    public void Non_canonical_revocation_lists_and_settings_fail_to_decode()
    {
        Assert.False(RevocationList.TryRead(RevocationListBytes([2, 1]), out _), "unsorted");
        Assert.False(RevocationList.TryRead(RevocationListBytes([1, 1]), out _), "duplicate");
        Assert.False(RevocationList.TryRead(RevocationListBytes([0, 1]), out _), "serial 0");
        Assert.False(RevocationList.TryRead(RevocationListBytes([1], sequence: 0), out _), "sequence 0");
        Assert.True(RevocationList.TryRead(RevocationListBytes([1, 2]), out _));

        var settings = Domain.ToBytes();
        int range = 5 + 4;           // "lab"
        int prefixLength = range + 4;
        int flags = prefixLength + 1;
        Assert.False(DomainSettings.TryRead(With(settings, range + 3, 1), out _), "host bits in the IPv4 range");
        Assert.False(DomainSettings.TryRead(With(settings, prefixLength, 33), out _), "IPv4 prefix length over 32");
        Assert.False(DomainSettings.TryRead(With(settings, prefixLength, 31), out _), "IPv4 prefix length 31");
        Assert.False(DomainSettings.TryRead(With(settings, range, 8), out _), "public IPv4 range");
        Assert.False(DomainSettings.TryRead(With(settings, flags, 0x03), out _), "unknown flag");
        Assert.False(DomainSettings.TryRead(With(settings, flags + 1, 0x20), out _), "IPv6 prefix outside fc00::/7");
        Assert.False(DomainSettings.TryRead(With(settings, flags + 17, 129), out _), "IPv6 prefix length over 128");
        Assert.False(DomainSettings.TryRead(With(settings, flags + 17, 47), out _), "IPv6 prefix length 47");
        Assert.False(DomainSettings.TryRead(With(settings, flags + 19, (byte)'.'), out _), "zone starting with a dot");
    }

    [Fact]
    public void A_token_whose_key_does_not_match_its_certificate_fails_to_decode()
    {
        var bytes = TokenBytes();
        int keyOffset = 4 + 1 + 8 + 2 + Domain.Size;
        var copy = With(bytes, keyOffset, (byte)(bytes[keyOffset] ^ 1));
        Assert.False(JoinToken.TryRead(copy, out _));

        // The settings and the certificate must name the same domain.
        var other = new JoinToken(OtherDomain, Node, Certificate, 1);
        var otherBytes = new byte[other.Size];
        Assert.True(other.TryWrite(otherBytes, out _));
        Assert.False(JoinToken.TryRead(otherBytes, out _));
    }

    [Fact]
    public void Damaged_token_text_is_refused_with_a_reason()
    {
        var text = Token.Encode();
        AssertTokenRefused("", "starts with");
        AssertTokenRefused("woven-join-v2." + text[JoinToken.TextPrefix.Length..], "starts with");
        AssertTokenRefused(text[..^8], "checksum");
        AssertTokenRefused(text + "AAAA", "checksum");
        AssertTokenRefused(text.Insert(40, " "), "base64url");
        AssertTokenRefused(text.Insert(40, "+"), "base64url");
        AssertTokenRefused(text + new string('A', 5000), "too long");
        char c = text[60];
        AssertTokenRefused(text[..60] + (c == 'A' ? 'B' : 'A') + text[61..], "checksum");
        AssertTokenRefused(JoinToken.TextPrefix + "A", "base64url");
    }

    private static void AssertTokenRefused(string text, string mention)
    {
        Assert.False(JoinToken.TryDecode(text, out var token, out var error));
        Assert.Null(token);
        Assert.Contains(mention, error);
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"format\":\"woven-domain-v2\"}", "format: 'woven-domain-v2'")]
    [InlineData("{\"format\":\"woven-domain-v1\"}", "name: missing")]
    [InlineData("{\"format\":\"woven-domain-v1\",\"name\":1}", "name: not a string")]
    [InlineData("{\"format\":\"woven-domain-v1\",\"colour\":\"red\"}", "unknown field 'colour'")]
    [InlineData("{\"format\":\"woven-domain-v1\",\"format\":\"woven-domain-v1\"}", "format: given twice")]
    public void A_bad_domain_file_is_refused_naming_the_field(string json, string mention)
    {
        Assert.False(DomainSettings.TryParseJson(json, out var settings, out var error));
        Assert.Null(settings);
        Assert.Contains(mention, error);
    }

    [Theory]
    [InlineData("name", "\"Lab\"", "name: 'Lab'")]
    [InlineData("ipv4_range", "\"10.77.0.1/16\"", "ipv4_range: '10.77.0.1/16' is not a CIDR range")]
    [InlineData("ipv4_range", "\"8.8.0.0/16\"", "ipv4_range: '8.8.0.0/16' is not private")]
    [InlineData("ipv6_prefix", "\"2001:db8::/48\"", "ipv6_prefix: '2001:db8::/48' is not a unique local")]
    [InlineData("ipv6_prefix", "5", "ipv6_prefix: not null or a CIDR prefix")]
    [InlineData("dns_zone", "\"lab.woven.\"", "dns_zone: 'lab.woven.'")]
    [InlineData("ca_public_key", "\"AAAA\"", "ca_public_key: not base64 of 32 bytes")]
    public void A_bad_value_in_the_domain_file_names_its_field(string field, string value, string mention)
    {
        var json = Domain.ToJson();
        int start = json.IndexOf($"\"{field}\": ", StringComparison.Ordinal) + field.Length + 4;
        int end = json.IndexOfAny([',', '\n'], start);
        var changed = json[..start] + value + json[end..];
        Assert.False(DomainSettings.TryParseJson(changed, out _, out var error));
        Assert.Contains(mention, error);
    }

    /// <summary>
    /// 100,000 seeded mutations of valid encodings per decoder: bit flips, random and boundary bytes, insertions,
    /// deletions, truncations and appended garbage. No decoder throws, and whatever still decodes re-encodes to
    /// exactly the same bytes (the formats are canonical) and verifies or is rejected without an exception.
    /// </summary>
    [Fact]
    public void Seeded_mutations_never_throw_and_what_decodes_is_canonical()
    {
        const int iterations = 100_000;
        var random = new Random(20240611);
        var revocations = SomeRevocations;
        foreach (var (name, _, samples) in Decoders)
        {
            var inputs = samples().ToArray();
            int decoded = 0;
            for (int i = 0; i < iterations; i++)
            {
                var input = Mutate(inputs[random.Next(inputs.Length)], random);
                switch (name)
                {
                    case "settings":
                        if (DomainSettings.TryRead(input, out var s))
                        {
                            decoded++;
                            Assert.Equal(input, s!.ToBytes());
                            Assert.True(DomainSettings.TryParseJson(s.ToJson(), out _, out _));
                        }
                        break;
                    case "certificate":
                        var check = MemberCertificate.Verify(input, Domain, Node.PublicKey, Now, revocations, out var c);
                        if (c is not null)
                        {
                            decoded++;
                            Assert.Equal(input, c.ToBytes());
                            Assert.True(Enum.IsDefined(check));
                        }
                        else
                        {
                            Assert.Equal(CertificateCheck.Malformed, check);
                        }
                        break;
                    case "revocation list":
                        if (RevocationList.TryRead(input, out var l))
                        {
                            decoded++;
                            Assert.Equal(input, l!.ToBytes());
                            var kept = RevocationList.Merge(revocations, l, Domain);
                            Assert.True(ReferenceEquals(kept, revocations) || (ReferenceEquals(kept, l) && l.IsSignedBy(Domain) && l.Sequence >= revocations.Sequence));
                        }
                        break;
                    case "join token":
                        if (JoinToken.TryRead(input, out var t))
                        {
                            decoded++;
                            var again = new byte[t!.Size];
                            Assert.True(t.TryWrite(again, out _));
                            Assert.Equal(input, again);
                            _ = t.RedeemError(Now);
                        }
                        break;
                }
            }
            // The mutations are mild enough that some still decode (so the canonical check above has work to do).
            Assert.InRange(decoded, 1, iterations - 1);
        }
    }

    [Fact]
    public void Seeded_mutations_of_text_forms_never_throw()
    {
        var random = new Random(7);
        var token = Encoding.ASCII.GetBytes(Token.Encode());
        var json = Encoding.UTF8.GetBytes(Domain.ToJson());
        var keyFile = Ca.EncodeKeyFile();
        for (int i = 0; i < 100_000; i++)
        {
            var t = Mutate(token, random);
            if (JoinToken.TryDecode(Encoding.Latin1.GetString(t), out var decoded, out var error)) Assert.NotNull(decoded);
            else Assert.NotEmpty(error);

            var j = Mutate(json, random);
            if (!DomainSettings.TryParseJson(Encoding.UTF8.GetString(j), out _, out error)) Assert.NotEmpty(error);

            var k = Mutate(keyFile, random);
            if (!DomainAuthority.TryDecodeKeyFile(k, out _, out error)) Assert.NotEmpty(error);
        }
    }

    /// <summary>One to four random edits of a copy of <paramref name="source"/>.</summary>
    internal static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = new byte[] { 0, 1, 2, 8, 9, 31, 32, 33, 63, 64, 127, 128, 255 }[random.Next(13)];
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 5:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 6:
                    for (int n = random.Next(1, 40); n > 0; n--) bytes.Add((byte)random.Next(256));
                    break;
                case 7 when bytes.Count > 8:
                    int from = random.Next(bytes.Count - 8);
                    bytes.InsertRange(at, bytes.GetRange(from, random.Next(1, 8)));
                    break;
            }
        }
        return [.. bytes];
    }

    private static byte[] ZeroSerial(byte[] cert)
    {
        var copy = (byte[])cert.Clone();
        copy.AsSpan(9, 8).Clear();
        return copy;
    }

    /// <summary>The sample certificate's bytes with another group list spliced in (signature kept: decoding does not check it).</summary>
    private static byte[] CertificateWithGroupBytes(IEnumerable<string> groups)
    {
        var cert = Certificate.ToBytes();
        var list = groups.ToList();
        var middle = new List<byte> { (byte)list.Count };
        foreach (var g in list)
        {
            middle.Add((byte)g.Length);
            middle.AddRange(Encoding.ASCII.GetBytes(g));
        }
        int groupsEnd = CertGroupCount + 1 + Certificate.Groups.Sum(g => 1 + g.Length);
        return [.. cert[..CertGroupCount], .. middle, .. cert[groupsEnd..]];
    }

    private static byte[] RevocationListBytes(IEnumerable<ulong> serials, ulong sequence = 1)
    {
        var list = serials.ToList();
        var bytes = new List<byte>();
        bytes.AddRange("WVRL"u8.ToArray());
        bytes.Add(1);
        bytes.Add(3);
        bytes.AddRange("lab"u8.ToArray());
        var number = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(number, sequence);
        bytes.AddRange(number);
        bytes.AddRange(new byte[8]);
        bytes.Add((byte)(list.Count >> 8));
        bytes.Add((byte)list.Count);
        foreach (var s in list)
        {
            BinaryPrimitives.WriteUInt64BigEndian(number, s);
            bytes.AddRange(number);
        }
        bytes.AddRange(new byte[64]);
        return [.. bytes];
    }
}
