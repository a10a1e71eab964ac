using Woven.Crypto.Noise;
using Woven.Testing;

namespace Woven.Core.Tests;

/// <summary>
/// Published test vectors for Noise_XX_25519_ChaChaPoly_SHA256, copied from two independent implementations' files:
/// cacophony (vectors/cacophony.txt, Haskell) and noise-c (tests/vector/noise-c-basic.txt, C; it also gives the
/// handshake hash). Three handshake messages, then three transport messages: responder, initiator, responder.
/// </summary>
public class NoiseVectorTests
{
    private const string InitStatic = "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
    private const string InitEphemeral = "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
    private const string RespStatic = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
    private const string RespEphemeral = "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";

    private static readonly string[] Payloads =
    [
        "4c756477696720766f6e204d69736573",
        "4d757272617920526f746862617264",
        "462e20412e20486179656b",
        "4361726c204d656e676572",
        "4a65616e2d426170746973746520536179",
        "457567656e2042f6686d20766f6e2042617765726b",
    ];

    public sealed record Vector(string Source, string Prologue, string[] Ciphertexts, string? HandshakeHash)
    {
        public override string ToString() => Source;
    }

    public static TheoryData<Vector> Vectors() => new()
    {
        new Vector(
            "cacophony",
            "4a6f686e2047616c74", // "John Galt"
            [
                "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573",
                "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad",
                "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030",
                "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df",
                "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5",
                "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f",
            ],
            null),
        new Vector(
            "noise-c",
            "50726f6c6f677565313233", // "Prologue123"
            [
                "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573",
                "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b94a6d8798832d5372f220f161d9c2df035528f8982ffe09be9b5c412f8a0db5d21351f20af1370d0bf8ef1a8c59a30e",
                "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a8589981dfbd651e6ff4724a781cc2aa6158c9fea0d4ec82a286427484c5b8c8123a7a6002b1de9f9775fc97",
                "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df",
                "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5",
                "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f",
            ],
            "852a28d2146785c54bd8334f4e460c80d7fe4fd0cc5bc0abef2a24a3c4d44d5f"),
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Both_sides_produce_and_accept_the_published_messages(Vector vector)
    {
        byte[] prologue = Convert.FromHexString(vector.Prologue);
        using var initiator = NoiseHandshake.CreateInitiator(Convert.FromHexString(InitStatic), prologue, Convert.FromHexString(InitEphemeral));
        using var responder = NoiseHandshake.CreateResponder(Convert.FromHexString(RespStatic), prologue, Convert.FromHexString(RespEphemeral));

        var buffer = new byte[NoiseHandshake.MaxMessageLength];
        var payload = new byte[NoiseHandshake.MaxMessageLength];
        for (int i = 0; i < 3; i++)
        {
            var (writer, reader) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            Assert.True(writer.TryWriteMessage(Convert.FromHexString(Payloads[i]), buffer, out int written));
            Assert.Equal(vector.Ciphertexts[i], Convert.ToHexStringLower(buffer, 0, written));
            Assert.True(reader.TryReadMessage(buffer.AsSpan(0, written), payload, out int length));
            Assert.Equal(Payloads[i], Convert.ToHexStringLower(payload, 0, length));
        }

        Assert.True(initiator.IsComplete);
        Assert.True(responder.IsComplete);
        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
        if (vector.HandshakeHash is not null)
            Assert.Equal(vector.HandshakeHash, Convert.ToHexStringLower(initiator.HandshakeHash));
        using (var respKeys = X25519KeyPair.FromPrivateKey(Convert.FromHexString(RespStatic)))
            Assert.Equal(respKeys.PublicKey.ToArray(), initiator.RemoteStaticPublicKey.ToArray());
        using (var initKeys = X25519KeyPair.FromPrivateKey(Convert.FromHexString(InitStatic)))
            Assert.Equal(initKeys.PublicKey.ToArray(), responder.RemoteStaticPublicKey.ToArray());

        // Transport messages: Noise's CipherState nonces from 0 in each direction, empty associated data.
        var clock = new ManualTimeProvider();
        using var initSession = initiator.CreateTransportSession(clock);
        using var respSession = responder.CreateTransportSession(clock);
        ulong[] expectedCounters = [0, 0, 1];
        for (int i = 3; i < 6; i++)
        {
            var (sender, receiver) = i % 2 == 0 ? (initSession, respSession) : (respSession, initSession);
            Assert.True(sender.TrySeal(Convert.FromHexString(Payloads[i]), ReadOnlySpan<byte>.Empty, buffer, out ulong counter, out int written));
            Assert.Equal(expectedCounters[i - 3], counter);
            Assert.Equal(vector.Ciphertexts[i], Convert.ToHexStringLower(buffer, 0, written));
            Assert.True(receiver.TryOpen(counter, buffer.AsSpan(0, written), ReadOnlySpan<byte>.Empty, payload, out int length));
            Assert.Equal(Payloads[i], Convert.ToHexStringLower(payload, 0, length));
        }
    }

    [Fact]
    public void The_protocol_name_is_exactly_one_hash_long_so_it_is_the_initial_hash()
    {
        Assert.Equal(32, System.Text.Encoding.ASCII.GetByteCount(NoiseHandshake.ProtocolName));
    }

    [Fact]
    public void X25519_matches_RFC_7748_section_6_1()
    {
        using var alice = X25519KeyPair.FromPrivateKey(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        using var bob = X25519KeyPair.FromPrivateKey(Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(alice.PublicKey));
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Convert.ToHexStringLower(bob.PublicKey));

        var k1 = new byte[32];
        var k2 = new byte[32];
        Assert.True(alice.TryAgree(bob.PublicKey, k1));
        Assert.True(bob.TryAgree(alice.PublicKey, k2));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Convert.ToHexStringLower(k1));
        Assert.Equal(k1, k2);
    }

    /// <summary>Points of order 1, 2, 4 and 8 and their non-canonical encodings: each gives an all-zero DH result.</summary>
    public static TheoryData<string> LowOrderPoints() => new()
    {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void A_low_order_public_key_is_refused(string point)
    {
        using var keys = X25519KeyPair.Generate();
        var shared = new byte[32];
        Assert.False(keys.TryAgree(Convert.FromHexString(point), shared));
        Assert.All(shared, b => Assert.Equal(0, b));
    }
}
