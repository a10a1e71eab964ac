using System.Text;
using Woven.Dht;

namespace Woven.Node.Control;

/// <summary>A DHT record as the control API shows it. The value is text when it is UTF-8, else base64 in value_base64.</summary>
public sealed record DhtRecordDocument(
    string Key,
    string Kind,
    string Owner,
    string? Value,
    string? ValueBase64,
    ulong Version,
    DateTimeOffset Created,
    DateTimeOffset Expires)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static DhtRecordDocument From(DhtRecord r)
    {
        string? text = null;
        try
        {
            text = StrictUtf8.GetString(r.Value);
        }
        catch (DecoderFallbackException)
        {
        }
        return new DhtRecordDocument(r.Key.ToString(), r.Kind == DhtKind.Claim ? "claim" : "value", r.OwnerAddress, text,
            text is null ? Convert.ToBase64String(r.Value) : null, r.Version,
            DateTimeOffset.FromUnixTimeMilliseconds((long)r.Created), DateTimeOffset.FromUnixTimeMilliseconds((long)r.Expires));
    }
}

/// <summary>The answer to every /v1/dht call: the outcome (ok, conflict, unavailable, invalid, timeout) and records.</summary>
public sealed record DhtResultDocument(string Name, string Key, string Status, IReadOnlyList<DhtRecordDocument> Records, bool Truncated = false, string? Error = null)
{
    public static DhtResultDocument From(string name, DhtResult r) =>
        new(name, DhtRecord.KeyOf(name).ToString(), r.Status.ToString().ToLowerInvariant(), r.Records.Select(DhtRecordDocument.From).ToList(), r.Truncated);
}

/// <summary>POST /v1/dht/put, /v1/dht/create and /v1/dht/remove. Value is text; ttl_s is the lease in seconds.</summary>
public sealed record DhtWriteRequest(string? Key, string? Value, double? TtlS);
