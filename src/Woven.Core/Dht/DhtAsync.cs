using Woven.Addressing;

namespace Woven.Dht;

/// <summary>
/// Task-returning forms of the DHT's callback API, for real nodes. Continuations run asynchronously, never inline under
/// the overlay's lock, in which the callbacks are invoked.
/// </summary>
public static class DhtAsync
{
    public static Task<DhtResult> GetAsync(this DhtNode dht, RingAddress key) => Run(done => dht.Get(key, done));

    public static Task<DhtResult> PutAsync(this DhtNode dht, RingAddress key, byte[] value, TimeSpan lease) => Run(done => dht.Put(key, value, lease, done));

    public static Task<DhtResult> CreateAsync(this DhtNode dht, RingAddress key, byte[] value, TimeSpan lease) => Run(done => dht.Create(key, value, lease, done));

    public static Task<DhtResult> RenewAsync(this DhtNode dht, DhtRecord record, TimeSpan lease) => Run(done => dht.Renew(record, lease, done));

    public static Task<DhtResult> RemoveAsync(this DhtNode dht, DhtRecord record) => Run(done => dht.Remove(record, done));

    /// <summary>
    /// Removes the records under <paramref name="key"/> that this node owns (only those with <paramref name="value"/>,
    /// when given). Returns the removed records, or the failed result of the first step that failed.
    /// </summary>
    public static async Task<DhtResult> RemoveOwnedAsync(this DhtNode dht, RingAddress key, byte[]? value)
    {
        var owner = dht.Owner ?? throw new InvalidOperationException("this node has no private key to sign records with");
        var current = await dht.GetAsync(key);
        if (!current.Ok) return current;
        var mine = current.Records.Where(r => r.Owner.AsSpan().SequenceEqual(owner.PublicKey) && (value is null || r.Value.AsSpan().SequenceEqual(value))).ToList();
        foreach (var record in mine)
        {
            var removed = await dht.RemoveAsync(record);
            if (!removed.Ok) return removed;
        }
        return new DhtResult(DhtStatus.Ok, mine);
    }

    private static Task<DhtResult> Run(Action<Action<DhtResult>> start)
    {
        var completion = new TaskCompletionSource<DhtResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            start(r => completion.TrySetResult(r));
        }
        catch (Exception e)
        {
            completion.TrySetException(e);
        }
        return completion.Task;
    }
}
