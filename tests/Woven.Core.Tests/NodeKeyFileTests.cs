using System.Text;
using Woven.Addressing;
using Woven.Crypto;

namespace Woven.Core.Tests;

public class NodeKeyFileTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static void AssertRejected(byte[] content, params string[] errorMentions)
    {
        Assert.False(NodeKeyFile.TryDecode(content, out var identity, out var error));
        Assert.Null(identity);
        Assert.False(string.IsNullOrWhiteSpace(error));
        foreach (var mention in errorMentions) Assert.Contains(mention, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_and_decode_round_trip()
    {
        for (int i = 0; i < 20; i++)
        {
            var identity = NodeIdentity.Generate();
            Assert.True(identity.HasPrivateKey);
            var content = NodeKeyFile.Encode(identity);
            Assert.True(NodeKeyFile.TryDecode(content, out var decoded, out var error));
            Assert.Equal("", error);
            Assert.NotNull(decoded);
            Assert.True(decoded.HasPrivateKey);
            Assert.Equal(identity.PublicKey, decoded.PublicKey);
            Assert.Equal(identity.Address, decoded.Address);
            Assert.Equal(identity.ExportPrivateKey().ToArray(), decoded.ExportPrivateKey().ToArray());
            Assert.Equal(RingAddress.FromPublicKey(decoded.PublicKey), decoded.Address);
        }
    }

    [Fact]
    public void Encoded_file_is_the_header_line_and_one_base64_line()
    {
        var identity = NodeIdentity.Generate();
        var text = Encoding.ASCII.GetString(NodeKeyFile.Encode(identity));
        var lines = text.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("woven-node-key-v1", lines[0]);
        Assert.Equal(NodeKeyFile.Header, lines[0]);
        Assert.Equal(Convert.ToBase64String(identity.ExportPrivateKey()), lines[1]);
        Assert.Equal(44, lines[1].Length);
        Assert.Equal("", lines[2]);
    }

    [Fact]
    public void Generated_identities_differ()
    {
        var a = NodeIdentity.Generate();
        var b = NodeIdentity.Generate();
        Assert.NotEqual(a.PublicKey, b.PublicKey);
        Assert.NotEqual(a.Address, b.Address);
        Assert.Equal(NodeIdentity.KeySize, a.PublicKey.Length);
    }

    [Fact]
    public void Decoding_the_same_file_twice_gives_the_same_identity()
    {
        var content = NodeKeyFile.Encode(NodeIdentity.Generate());
        Assert.True(NodeKeyFile.TryDecode(content, out var a, out _));
        Assert.True(NodeKeyFile.TryDecode(content, out var b, out _));
        Assert.Equal(a!.PublicKey, b!.PublicKey);
        Assert.Equal(a.Address, b.Address);
    }

    [Fact]
    public void Known_private_key_gives_the_rfc8032_public_key()
    {
        // RFC 8032 section 7.1, TEST 1.
        var priv = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        var content = Ascii($"{NodeKeyFile.Header}\n{Convert.ToBase64String(priv)}\n");
        Assert.True(NodeKeyFile.TryDecode(content, out var identity, out _));
        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(identity!.PublicKey));
        Assert.Equal(RingAddress.FromPublicKey(identity.PublicKey), identity.Address);
    }

    [Fact]
    public void Windows_line_endings_and_surrounding_whitespace_are_tolerated()
    {
        var identity = NodeIdentity.Generate();
        var b64 = Convert.ToBase64String(identity.ExportPrivateKey());
        foreach (var text in new[]
        {
            $"{NodeKeyFile.Header}\r\n{b64}\r\n",
            $"{NodeKeyFile.Header}\n{b64}",
            $"\n{NodeKeyFile.Header}\n\n{b64}\n\n",
            $"  {NodeKeyFile.Header}  \n\t{b64} \n",
        })
        {
            Assert.True(NodeKeyFile.TryDecode(Ascii(text), out var decoded, out var error), error);
            Assert.Equal(identity.PublicKey, decoded!.PublicKey);
        }
    }

    [Theory]
    [InlineData("woven-node-key-v2")]
    [InlineData("Woven-Node-Key-V1")]
    [InlineData("woven-node-key")]
    [InlineData("wireguard-key")]
    [InlineData("-----BEGIN PRIVATE KEY-----")]
    public void Wrong_header_is_rejected_naming_the_expected_header(string header)
    {
        var b64 = Convert.ToBase64String(NodeIdentity.Generate().ExportPrivateKey());
        AssertRejected(Ascii($"{header}\n{b64}\n"), NodeKeyFile.Header);
    }

    [Fact]
    public void Missing_or_extra_lines_are_rejected()
    {
        var b64 = Convert.ToBase64String(NodeIdentity.Generate().ExportPrivateKey());
        AssertRejected([], NodeKeyFile.Header);
        AssertRejected(Ascii("\n\n"), NodeKeyFile.Header);
        AssertRejected(Ascii($"{NodeKeyFile.Header}\n"), NodeKeyFile.Header);
        AssertRejected(Ascii($"{b64}\n"), NodeKeyFile.Header);
        AssertRejected(Ascii($"{NodeKeyFile.Header}\n{b64}\n{b64}\n"), NodeKeyFile.Header);
        AssertRejected(Ascii($"{NodeKeyFile.Header} {b64}\n"), NodeKeyFile.Header);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("****")]
    [InlineData("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2")] // missing padding
    [InlineData("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=x")]
    [InlineData("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")] // base64url alphabet
    public void Bad_base64_is_rejected(string keyLine)
    {
        AssertRejected(Ascii($"{NodeKeyFile.Header}\n{keyLine}\n"), "base64", "32 bytes");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(48)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(100)]
    public void Wrong_key_length_is_rejected(int length)
    {
        var key = Enumerable.Range(0, length).Select(i => (byte)(i + 1)).ToArray();
        var text = $"{NodeKeyFile.Header}\n{Convert.ToBase64String(key)}\n";
        AssertRejected(Ascii(text), "32 bytes");
    }

    [Fact]
    public void Non_ascii_content_is_rejected_without_an_exception()
    {
        AssertRejected([0xFF, 0xFE, 0x00, 0x80, 0x0A, 0xC3, 0xA9]);
        var b64 = Convert.ToBase64String(NodeIdentity.Generate().ExportPrivateKey());
        AssertRejected(Encoding.UTF8.GetBytes($"wöven-node-key-v1\n{b64}\n"), NodeKeyFile.Header);
        AssertRejected(Encoding.UTF8.GetBytes($"{NodeKeyFile.Header}\n{b64}é\n"));
    }

    [Fact]
    public void Random_content_never_throws()
    {
        var random = new Random(61);
        var valid = NodeKeyFile.Encode(NodeIdentity.Generate());
        for (int i = 0; i < 2000; i++)
        {
            byte[] content;
            if (i % 2 == 0)
            {
                content = new byte[random.Next(0, 200)];
                random.NextBytes(content);
            }
            else
            {
                content = (byte[])valid.Clone();
                content[random.Next(content.Length)] ^= (byte)(1 + random.Next(255));
            }
            bool ok = NodeKeyFile.TryDecode(content, out var identity, out var error);
            Assert.Equal(ok, identity is not null);
            Assert.Equal(ok, error.Length == 0);
        }
    }

    [Fact]
    public void Identity_text_does_not_reveal_the_private_key()
    {
        var identity = NodeIdentity.Generate();
        var priv = identity.ExportPrivateKey().ToArray();
        var text = identity.ToString();
        Assert.DoesNotContain(Convert.ToBase64String(priv), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(priv)[..12], text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(priv)[..12], text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(identity.Address.ToShortString(), text, StringComparison.Ordinal);

        // Nor does interpolating it, which is how it would reach a log.
        Assert.DoesNotContain(Convert.ToBase64String(priv), $"{identity}", StringComparison.Ordinal);
    }

    [Fact]
    public void Public_only_identity_cannot_be_saved()
    {
        var full = NodeIdentity.Generate();
        var pub = NodeIdentity.FromPublicKeyOnly(full.PublicKey);
        Assert.False(pub.HasPrivateKey);
        Assert.Equal(full.Address, pub.Address);
        Assert.Throws<InvalidOperationException>(() => NodeKeyFile.Encode(pub));
    }

    [Fact]
    public void Identities_refuse_keys_of_the_wrong_length()
    {
        Assert.Throws<ArgumentException>(() => NodeIdentity.FromPrivateKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => NodeIdentity.FromPublicKeyOnly(new byte[33]));
    }
}
