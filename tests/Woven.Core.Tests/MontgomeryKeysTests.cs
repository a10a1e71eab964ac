using Org.BouncyCastle.Math.EC.Rfc7748;
using Woven.Crypto;

namespace Woven.Core.Tests;

public class MontgomeryKeysTests
{
    [Fact]
    public void The_x25519_twin_of_an_ed25519_key_matches_from_both_halves()
    {
        for (int i = 0; i < 20; i++)
        {
            var identity = NodeIdentity.Generate();
            var priv = identity.StaticDhPrivateKey();
            var fromPrivate = new byte[32];
            X25519.ScalarMultBase(priv, 0, fromPrivate, 0);
            var fromPublic = NodeIdentity.StaticDhPublicKey(identity.PublicKey);
            Assert.NotNull(fromPublic);
            Assert.Equal(fromPrivate, fromPublic);
        }
    }

    [Fact]
    public void Keys_without_a_montgomery_image_are_refused()
    {
        var y1 = new byte[32];
        y1[0] = 1; // y = 1: the identity point, 1 - y = 0
        Assert.Null(NodeIdentity.StaticDhPublicKey(y1));
        var big = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        big[31] = 0x7F; // y = 2^255 - 1 >= p: not canonical
        Assert.Null(NodeIdentity.StaticDhPublicKey(big));
        Assert.Null(NodeIdentity.StaticDhPublicKey(new byte[31]));
    }
}
