using BenchmarkDotNet.Attributes;
using Woven.Crypto;
using Woven.Dht;

namespace Woven.Bench;

/// <summary>
/// What a DHT replica pays per record: decoding a record from a message and checking it (tag, lease, Ed25519
/// signature), and what an owner pays to sign one. These bound how many writes and hand-offs a node can take.
/// </summary>
public class DhtBenchmarks
{
    private const ulong Now = 1_800_000_000_000;
    private readonly NodeIdentity _owner = NodeIdentity.Generate();
    private readonly DhtRecord _record;
    private readonly byte[] _message;

    public DhtBenchmarks()
    {
        _record = DhtRecord.Create(_owner, DhtRecord.KeyOf("service/printer"), DhtKind.Value, new byte[200], Now, Now, Now + 60_000);
        _message = new DhtMessage { Op = DhtOp.Put, RequestId = 1, Record = _record }.Encode();
    }

    [Benchmark(Description = "DHT record sign (200-byte value)")]
    public DhtRecord Sign() => DhtRecord.Create(_owner, _record.Key, DhtKind.Value, _record.Value, Now + 1, Now, Now + 60_000);

    [Benchmark(Description = "DHT message decode + record check")]
    public DhtCheck DecodeAndCheck() => DhtMessage.TryRead(_message)!.Record!.Check(Now);
}
