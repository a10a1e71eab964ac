using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Core.Tests;

/// <summary>Seeded random and mutated datagrams through every decoder.</summary>
public partial class WireMalformedTests
{
    // ---------- random and mutated datagrams ----------

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0F, 0x10, 0x11, 0x3F, 0x40, 0x7F, 0x80, 0xD0, 0xD1, 0xFE, 0xFF];

    private static byte[] Mutate(Random random, byte[][] corpus)
    {
        var sample = corpus[random.Next(corpus.Length)];
        switch (random.Next(9))
        {
            case 8 when sample[1] == (byte)MessageType.Routed: // resize a routed payload and fix its length, so the payload decoder sees it
            {
                int headerEnd = Envelope.HeaderSize + Routed.HeaderSize;
                int length = sample.Length - headerEnd;
                int newLength = random.Next(3) switch
                {
                    0 => random.Next(length + 1),                                    // truncate
                    1 => Math.Min(Routed.MaxPayload, length + 1 + random.Next(40)),  // extend
                    _ => random.Next(Tunnel.HeaderSize + Envelope.HeaderSize + 1),   // very short (tunnel header and less)
                };
                var d = new byte[headerEnd + newLength];
                sample.AsSpan(0, Math.Min(sample.Length, d.Length)).CopyTo(d);
                if (newLength > length) random.NextBytes(d.AsSpan(sample.Length));
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(headerEnd - 2), (ushort)newLength);
                return d;
            }
            case 0: // flip a few bytes
            {
                var d = (byte[])sample.Clone();
                int flips = 1 + random.Next(4);
                for (int i = 0; i < flips; i++) d[random.Next(d.Length)] ^= (byte)(1 + random.Next(255));
                return d;
            }
            case 1: // flip single bits
            {
                var d = (byte[])sample.Clone();
                int flips = 1 + random.Next(3);
                for (int i = 0; i < flips; i++) d[random.Next(d.Length)] ^= (byte)(1 << random.Next(8));
                return d;
            }
            case 2: // set a byte to an interesting value (counts, families, flags, limits)
            {
                var d = (byte[])sample.Clone();
                d[random.Next(d.Length)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                return d;
            }
            case 3: // truncate
                return sample[..random.Next(sample.Length)];
            case 4: // extend
            {
                var tail = new byte[1 + random.Next(random.Next(2) == 0 ? 32 : 1500)];
                random.NextBytes(tail);
                return [.. sample, .. tail];
            }
            case 5: // another message's body under this header (type confusion)
            {
                var other = corpus[random.Next(corpus.Length)];
                return [.. sample.AsSpan(0, Envelope.HeaderSize), .. other.AsSpan(Envelope.HeaderSize)];
            }
            case 6: // random bytes under a valid header
            {
                var d = new byte[random.Next(Envelope.HeaderSize, 400)];
                random.NextBytes(d);
                d[0] = Envelope.FirstByte;
                d[1] = (byte)(1 + random.Next(12));
                return d;
            }
            default: // pure noise, any length
            {
                var d = new byte[random.Next(0, 1600)];
                random.NextBytes(d);
                return d;
            }
        }
    }

    private sealed class FuzzStats
    {
        public int[] Accepted { get; } = new int[256];
        public int[] Rejected { get; } = new int[256];
        public int[] PayloadsAccepted { get; } = new int[256];
        public int[] PayloadsRejected { get; } = new int[256];
        public int LinkPayloadsAccepted { get; set; }
        public int LinkPayloadsRejected { get; set; }
        public int InnerAccepted { get; set; }
        public int InnerRejected { get; set; }
        public Dictionary<DropReason, int> Classified { get; } = [];
    }

    /// <summary>
    /// What the overlay node does with a datagram, minus the protocol: classify, decode, slice the routed payload,
    /// decode it. Anything accepted must re-encode to exactly the bytes received (the encoding is canonical).
    /// </summary>
    private static void Process(byte[] datagram, FuzzStats stats, int depth = 0)
    {
        var reason = Envelope.Classify(datagram, out var type);
        if (depth == 0) stats.Classified[reason] = stats.Classified.GetValueOrDefault(reason) + 1;
        if (reason != DropReason.None)
        {
            if (depth > 0) stats.InnerRejected++;
            return;
        }
        var body = datagram.AsSpan(Envelope.HeaderSize);
        byte[]? reencoded = null;
        bool ok;
        switch (type)
        {
            case MessageType.LinkRequest:
                ok = LinkHello.TryRead(body, out ulong helloToken, out var roles, out uint initiator, out var cookie, out var helloNoise);
                if (ok)
                {
                    Assert.True(cookie.Length is 0 or LinkHandshake.CookieSize);
                    Assert.True(helloNoise.Length is > 0 and <= LinkHandshake.MaxNoiseMessage);
                    var hello = new LinkHello(helloToken, roles, initiator, cookie.ToArray(), helloNoise.ToArray());
                    reencoded = Reencode(hello.Size, hello.TryWrite);
                }
                break;
            case MessageType.LinkAccept or MessageType.LinkConfirm:
                ok = LinkHandshake.TryRead(body, out ulong token, out uint senderIndex, out uint receiverIndex, out var noise);
                if (ok)
                {
                    var noiseCopy = noise.ToArray();
                    reencoded = Reencode(LinkHandshake.SizeWith(noiseCopy.Length),
                        (Span<byte> d, out int n) => LinkHandshake.TryWrite(d, type, token, senderIndex, receiverIndex, noiseCopy, out n));
                    ProcessLinkPayload(noiseCopy, stats);
                }
                break;
            case MessageType.CookieReply:
                ok = CookieReply.TryRead(body, out var reply);
                if (ok)
                {
                    Assert.Equal(LinkHandshake.CookieSize, reply.Cookie.Length);
                    reencoded = Reencode(CookieReply.Size, reply.TryWrite);
                }
                break;
            case MessageType.Sealed:
                ok = Sealed.TryRead(body, out uint index, out ulong counter, out var ciphertext);
                if (ok)
                {
                    Assert.True(ciphertext.Length >= Sealed.TagSize);
                    reencoded = WireSamples.EncodeSealed(index, counter, ciphertext.ToArray());
                }
                break;
            case MessageType.Revocations:
                ok = Woven.Security.RevocationList.TryRead(body, out var list);
                if (ok) reencoded = [Envelope.FirstByte, (byte)MessageType.Revocations, .. list!.ToBytes()];
                break;
            case MessageType.Neighbors:
                ok = Neighbors.TryRead(body, out var nb);
                if (ok) reencoded = Reencode(nb!.Size, nb.TryWrite);
                break;
            case MessageType.Routed:
                ok = Routed.TryRead(body, out var routed);
                if (ok)
                {
                    var payload = datagram.AsSpan(Envelope.HeaderSize + routed.PayloadOffset, routed.PayloadLength);
                    Assert.True(payload.SequenceEqual(body.Slice(routed.PayloadOffset, routed.PayloadLength)));
                    var payloadCopy = payload.ToArray();
                    reencoded = Reencode(Routed.SizeWith(payloadCopy.Length), (Span<byte> d, out int n) => routed.TryWrite(d, payloadCopy, out n));
                    ProcessPayload(routed.PayloadType, payloadCopy, stats, depth);
                }
                break;
            default:
                ok = AddressedMessage.TryRead(type, body, out var m);
                if (ok) reencoded = Reencode(m.Size, m.TryWrite);
                break;
        }
        if (ok) Assert.Equal(datagram, reencoded);
        if (depth > 0)
        {
            if (ok) stats.InnerAccepted++;
            else stats.InnerRejected++;
        }
        else if (ok)
        {
            stats.Accepted[(int)type]++;
        }
        else
        {
            stats.Rejected[(int)type]++;
        }
    }

    /// <summary>
    /// Decodes the payload of a handshake message 2 or 3 as a simulated node does: with the clear suite, the Noise message
    /// is the static key (32) and then the payload. Anything accepted must re-encode to the same bytes.
    /// </summary>
    private static void ProcessLinkPayload(byte[] noise, FuzzStats stats)
    {
        if (noise.Length < 32) return;
        var bytes = noise.AsSpan(32);
        if (LinkPayload.TryRead(bytes, out var payload))
        {
            Assert.NotNull(payload);
            Assert.True(payload.Certificate.Length <= LinkPayload.MaxCertificate);
            Assert.True(payload.Endpoints.Length <= EndpointList.MaxCount);
            Assert.Equal(bytes.ToArray(), Reencode(payload.Size, payload.TryWrite));
            stats.LinkPayloadsAccepted++;
        }
        else
        {
            Assert.Null(payload);
            stats.LinkPayloadsRejected++;
        }
    }

    private static void ProcessPayload(RoutedPayloadType type, byte[] payload, FuzzStats stats, int depth)
    {
        bool ok;
        byte[]? reencoded = null;
        switch (type)
        {
            case RoutedPayloadType.ConnectToMe:
                ok = ConnectToMe.TryRead(payload, out var ctm);
                if (ok) reencoded = Reencode(ctm!.Size, ctm.TryWrite);
                break;
            case RoutedPayloadType.Probe:
                ok = Probe.TryRead(payload, out var probe);
                if (ok)
                {
                    reencoded = new byte[Probe.Size];
                    Assert.True(probe.TryWrite(reencoded));
                }
                break;
            case RoutedPayloadType.LinkIntent:
                ok = LinkIntent.TryRead(payload, out var intent);
                if (ok)
                {
                    Assert.True(intent!.Relays.Length <= LinkIntent.MaxRelays);
                    Assert.True(intent.Candidates.Length <= EndpointList.MaxCount);
                    Assert.Equal(0, (int)(intent.Flags & ~LinkIntentFlags.Reply));
                    reencoded = Reencode(intent.Size, intent.TryWrite);
                }
                break;
            case RoutedPayloadType.Tunnel:
                ok = Tunnel.TryRead(payload, out var final, out var inner);
                if (ok)
                {
                    var innerCopy = inner.ToArray();
                    Assert.Equal(payload.Length - Tunnel.HeaderSize, innerCopy.Length);
                    Assert.True(innerCopy.Length <= Tunnel.MaxInner);
                    reencoded = Reencode(payload.Length, (Span<byte> d, out int n) => Tunnel.TryWrite(d, final, innerCopy, out n));
                    // The final node dispatches the inner datagram like any other; it must be as safe to decode.
                    Process(innerCopy, stats, depth + 1);
                }
                else
                {
                    Assert.True(payload.Length < Tunnel.HeaderSize + Envelope.HeaderSize);
                }
                break;
            default:
                return;
        }
        if (ok)
        {
            stats.PayloadsAccepted[(int)type]++;
            Assert.Equal(payload, reencoded);
        }
        else
        {
            stats.PayloadsRejected[(int)type]++;
        }
    }

    private static byte[] Reencode(int size, WireSamples.TryWriteFunc write)
    {
        var buffer = new byte[size];
        Assert.True(write(buffer, out int n));
        Assert.Equal(size, n);
        return buffer;
    }

    [Fact]
    public void Random_and_mutated_datagrams_never_throw()
    {
        const int Seed = 20260101;
        const int Count = 200_000;
        var corpus = WireSamples.ValidDatagrams().Select(s => s.Datagram).ToArray();
        var random = new Random(Seed);
        var stats = new FuzzStats();
        for (int i = 0; i < Count; i++)
        {
            var datagram = Mutate(random, corpus);
            try
            {
                Process(datagram, stats);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"datagram {i} (seed {Seed}) threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(datagram)}\n{e}");
            }
        }

        // The mutations reached every decoder, both ways: every message type (0x01-0x0C), routed payload and link payload.
        for (int t = 1; t <= 12; t++)
        {
            Assert.True(stats.Accepted[t] > 100, $"type {(MessageType)t}: only {stats.Accepted[t]} accepted");
            Assert.True(stats.Rejected[t] > 100, $"type {(MessageType)t}: only {stats.Rejected[t]} rejected");
        }
        foreach (var type in new[] { RoutedPayloadType.ConnectToMe, RoutedPayloadType.Probe, RoutedPayloadType.LinkIntent, RoutedPayloadType.Tunnel })
        {
            Assert.True(stats.PayloadsAccepted[(int)type] > 100, $"payload {type}: only {stats.PayloadsAccepted[(int)type]} accepted");
            Assert.True(stats.PayloadsRejected[(int)type] > 100, $"payload {type}: only {stats.PayloadsRejected[(int)type]} rejected");
        }
        Assert.True(stats.LinkPayloadsAccepted > 100, $"only {stats.LinkPayloadsAccepted} link payloads accepted");
        Assert.True(stats.LinkPayloadsRejected > 100, $"only {stats.LinkPayloadsRejected} link payloads rejected");
        // A tunnel payload is rejected only when shorter than 22 bytes; the inner datagram is decoded on its own.
        Assert.True(stats.InnerAccepted > 100, $"only {stats.InnerAccepted} tunnelled datagrams accepted");
        Assert.True(stats.InnerRejected > 100, $"only {stats.InnerRejected} tunnelled datagrams rejected");
        foreach (var reason in new[] { DropReason.TooShort, DropReason.Oversize, DropReason.BadMagic, DropReason.WrongVersion, DropReason.UnknownType })
        {
            Assert.True(stats.Classified.GetValueOrDefault(reason) > 0, $"no datagram classified {reason}");
        }
    }
}
