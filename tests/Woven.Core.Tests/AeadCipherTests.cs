using System.Security.Cryptography;
using Woven.Crypto;

namespace Woven.Core.Tests;

/// <summary>The links' AEAD: OpenSSL through EVP and .NET's ChaCha20Poly1305 behind <see cref="AeadCipher"/>.</summary>
public class AeadCipherTests
{
    private static readonly byte[] RfcKey = Enumerable.Range(0x80, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] RfcNonce = [0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];
    private static readonly byte[] RfcAssociated = [0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7];
    private static readonly byte[] RfcPlaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8.ToArray();

    /// <summary>RFC 8439 §2.8.2: the start of the ciphertext and the tag.</summary>
    private static readonly byte[] RfcCiphertextStart = Convert.FromHexString("d31a8d34648e60db7b86afbc53ef7ec2");
    private static readonly byte[] RfcTag = Convert.FromHexString("1ae10b594f09e26a7e902ecbd0600691");

    public static TheoryData<string> Implementations => ["openssl", "dotnet"];

    private static AeadCipher Make(string implementation, byte[] key) =>
        implementation == "openssl" ? new NativeChaCha20Poly1305(key) : new ManagedChaCha20Poly1305(key);

    [Fact]
    public void OpenSSL_is_there_and_passed_its_self_check_so_nodes_use_it()
    {
        // Debian ships libcrypto.so.3 with every .NET install; if this fails, nodes silently run on the slower path.
        Assert.True(NativeChaCha20Poly1305.IsAvailable);
        Assert.Equal("openssl", AeadCipher.Implementation);
        using var cipher = AeadCipher.Create(RfcKey);
        Assert.IsType<NativeChaCha20Poly1305>(cipher);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Both_give_the_RFC_8439_example(string implementation)
    {
        using var cipher = Make(implementation, RfcKey);
        var ciphertext = new byte[RfcPlaintext.Length];
        var tag = new byte[AeadCipher.TagSize];
        Assert.True(cipher.TrySeal(RfcNonce, RfcPlaintext, ciphertext, tag, RfcAssociated));
        Assert.Equal(RfcCiphertextStart, ciphertext[..16]);
        Assert.Equal(RfcTag, tag);
        var opened = new byte[ciphertext.Length];
        Assert.True(cipher.TryOpen(RfcNonce, ciphertext, tag, opened, RfcAssociated));
        Assert.Equal(RfcPlaintext, opened);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(63, 5)]
    [InlineData(64, 12)]
    [InlineData(1377, 12)]
    [InlineData(65000, 0)]
    public void Native_and_managed_agree_and_open_each_others_output(int length, int associatedLength)
    {
        var random = new Random(length * 31 + associatedLength);
        var key = new byte[32];
        var nonce = new byte[12];
        var plaintext = new byte[length];
        var associated = new byte[associatedLength];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(plaintext);
        random.NextBytes(associated);
        using var native = new NativeChaCha20Poly1305(key);
        using var managed = new ManagedChaCha20Poly1305(key);
        byte[] c1 = new byte[length], t1 = new byte[16], c2 = new byte[length], t2 = new byte[16];
        Assert.True(native.TrySeal(nonce, plaintext, c1, t1, associated));
        Assert.True(managed.TrySeal(nonce, plaintext, c2, t2, associated));
        Assert.Equal(c2, c1);
        Assert.Equal(t2, t1);
        var opened = new byte[length];
        Assert.True(managed.TryOpen(nonce, c1, t1, opened, associated));
        Assert.Equal(plaintext, opened);
        Array.Clear(opened);
        Assert.True(native.TryOpen(nonce, c2, t2, opened, associated));
        Assert.Equal(plaintext, opened);
        // And the native one seals in place, as the transport may ask.
        var inPlace = plaintext.ToArray();
        var t3 = new byte[16];
        Assert.True(native.TrySeal(nonce, inPlace, inPlace, t3, associated));
        Assert.Equal(c1, inPlace);
        Assert.Equal(t1, t3);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Anything_tampered_is_refused_and_the_plaintext_zeroed(string implementation)
    {
        using var cipher = Make(implementation, RfcKey);
        var ciphertext = new byte[RfcPlaintext.Length];
        var tag = new byte[AeadCipher.TagSize];
        Assert.True(cipher.TrySeal(RfcNonce, RfcPlaintext, ciphertext, tag, RfcAssociated));
        var opened = new byte[ciphertext.Length];

        var badTag = tag.ToArray();
        badTag[15] ^= 0x80;
        opened.AsSpan().Fill(0xAA);
        Assert.False(cipher.TryOpen(RfcNonce, ciphertext, badTag, opened, RfcAssociated));
        Assert.All(opened, b => Assert.Equal(0, b));

        var badText = ciphertext.ToArray();
        badText[40] ^= 1;
        Assert.False(cipher.TryOpen(RfcNonce, badText, tag, opened, RfcAssociated));
        var badAssociated = RfcAssociated.ToArray();
        badAssociated[0] ^= 1;
        Assert.False(cipher.TryOpen(RfcNonce, ciphertext, tag, opened, badAssociated));
        var badNonce = RfcNonce.ToArray();
        badNonce[11] ^= 1;
        Assert.False(cipher.TryOpen(badNonce, ciphertext, tag, opened, RfcAssociated));
        // The genuine message still opens afterwards: a refusal leaves the context usable.
        Assert.True(cipher.TryOpen(RfcNonce, ciphertext, tag, opened, RfcAssociated));
        Assert.Equal(RfcPlaintext, opened);
    }

    [Fact]
    public void Bad_arguments_are_refused_not_thrown_and_a_disposed_cipher_refuses_everything()
    {
        var native = new NativeChaCha20Poly1305(RfcKey);
        var text = new byte[10];
        Assert.False(native.TrySeal(new byte[11], text, new byte[10], new byte[16], default));
        Assert.False(native.TrySeal(RfcNonce, text, new byte[9], new byte[16], default));
        Assert.False(native.TryOpen(RfcNonce, text, new byte[15], new byte[10], default));
        Assert.Throws<ArgumentException>(() => new NativeChaCha20Poly1305(new byte[31]));
        native.Dispose();
        Assert.False(native.TrySeal(RfcNonce, text, new byte[10], new byte[16], default));
        Assert.Throws<CryptographicException>(() => new ManagedChaCha20Poly1305(new byte[31]).Dispose());
    }
}
