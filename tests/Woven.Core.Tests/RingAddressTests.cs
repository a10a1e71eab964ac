using Woven.Addressing;

namespace Woven.Core.Tests;

public class RingAddressTests
{
    [Fact]
    public void Address_is_derived_from_the_public_key_and_differs_between_keys()
    {
        var a = RingAddress.FromPublicKey(new byte[32]);
        var key = new byte[32];
        key[0] = 1;
        var b = RingAddress.FromPublicKey(key);
        Assert.NotEqual(a, b);
        Assert.Equal(a, RingAddress.FromPublicKey(new byte[32]));
    }
}
