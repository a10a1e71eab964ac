using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;

namespace Woven.Nat;

/// <summary>The fixed 20-byte header of a STUN message.</summary>
public readonly record struct StunHeader(ushort Type, int Length, StunTransactionId TransactionId)
{
    public StunMethod Method => StunMessageType.Method(Type);

    public StunClass Class => StunMessageType.Class(Type);

    /// <summary>Reads the header of anything that passes <see cref="StunMessage.IsStun"/>; the body is not checked.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out StunHeader header)
    {
        header = default;
        if (!StunMessage.IsStun(datagram)) return false;
        header = new StunHeader(
            BinaryPrimitives.ReadUInt16BigEndian(datagram),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]),
            StunTransactionId.Read(datagram[8..]));
        return true;
    }
}

/// <summary>
/// A STUN message (RFC 8489) with the attributes Woven uses, including RFC 5780's behaviour-discovery ones.
/// Decoding (<see cref="Read"/>) is strict and never throws: the datagram must be exactly one message, every
/// attribute must fit with its padding, FINGERPRINT (if any) must be last and correct, and every decoded
/// attribute must have a valid value. Attributes Woven does not decode are skipped; comprehension-required
/// ones it does not know are listed in <see cref="UnknownComprehensionRequired"/> so a server can answer 420.
/// Only the first occurrence of an attribute counts. Padding bytes are ignored on reading (RFC 8489 §14;
/// RFC 5769's vectors pad with spaces) and written as zeros.
/// </summary>
public sealed class StunMessage
{
    public const int HeaderSize = 20;

    public const uint MagicCookie = 0x2112A442;

    /// <summary>At most this many unknown comprehension-required types are kept when decoding.</summary>
    public const int MaxUnknownReported = 32;

    public StunMethod Method { get; init; } = StunMethod.Binding;

    public StunClass Class { get; init; }

    public StunTransactionId TransactionId { get; init; }

    public IPEndPoint? MappedAddress { get; init; }

    public IPEndPoint? XorMappedAddress { get; init; }

    /// <summary>RFC 5780: where the response was sent from.</summary>
    public IPEndPoint? ResponseOrigin { get; init; }

    /// <summary>RFC 5780: the server's alternate address and port (sent only by servers with two addresses).</summary>
    public IPEndPoint? OtherAddress { get; init; }

    /// <summary>RFC 5780 CHANGE-REQUEST; null when absent (present with no flag is not the same as absent).</summary>
    public StunChangeRequest? ChangeRequest { get; init; }

    /// <summary>RFC 5780 RESPONSE-PORT.</summary>
    public ushort? ResponsePort { get; init; }

    public StunError? Error { get; init; }

    /// <summary>The UNKNOWN-ATTRIBUTES attribute of a 420 response.</summary>
    public ushort[]? UnknownAttributes { get; init; }

    public string? Software { get; init; }

    /// <summary>Writing: append FINGERPRINT. Reading: FINGERPRINT was present (and correct).</summary>
    public bool Fingerprint { get; init; }

    /// <summary>Decoding only: comprehension-required attribute types this codec does not know, once each.</summary>
    public ushort[] UnknownComprehensionRequired { get; init; } = [];

    public ushort Type => StunMessageType.Compose(Method, Class);

    /// <summary>
    /// The demultiplexing test (RFC 8489 §5, RFC 7983): at least a header, the first two bits zero, a length
    /// that is a multiple of 4 and fits in the datagram, and the magic cookie at offset 4. Overlay datagrams
    /// start with 0xD0–0xDF and never pass.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderSize || (datagram[0] & 0xC0) != 0) return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        return (length & 3) == 0 && length <= datagram.Length - HeaderSize
            && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == MagicCookie;
    }

    public static bool TryRead(ReadOnlySpan<byte> datagram, [NotNullWhen(true)] out StunMessage? message) =>
        Read(datagram, out message) == StunReadStatus.Ok;

    /// <summary>Decodes one datagram. Never throws; <paramref name="message"/> is set only for <see cref="StunReadStatus.Ok"/>.</summary>
    public static StunReadStatus Read(ReadOnlySpan<byte> datagram, out StunMessage? message)
    {
        message = null;
        Span<ushort> unknown = stackalloc ushort[MaxUnknownReported];
        var status = StunCodec.Scan(datagram, [], unknown, out int unknownCount, out bool fingerprint);
        if (status != StunReadStatus.Ok) return status;

        IPEndPoint? mapped = null, xorMapped = null, origin = null, other = null;
        StunChangeRequest? change = null;
        ushort? responsePort = null;
        StunError? error = null;
        ushort[]? unknownList = null;
        string? software = null;
        int seen = 0;
        bool afterIntegrity = false;
        var walker = new StunAttributeWalker(datagram);
        while (walker.Next() == 1)
        {
            ushort type = walker.Type;
            if (afterIntegrity && type != StunAttributeType.MessageIntegritySha256) continue;
            if (type is StunAttributeType.MessageIntegrity or StunAttributeType.MessageIntegritySha256) afterIntegrity = true;
            int index = StunCodec.DecodedIndex(type);
            if (index < 0 || (seen & (1 << index)) != 0) continue;
            seen |= 1 << index;
            var v = walker.Value;
            switch (type)
            {
                case StunAttributeType.MappedAddress: mapped = StunCodec.ReadAddress(v, datagram, xor: false); break;
                case StunAttributeType.XorMappedAddress: xorMapped = StunCodec.ReadAddress(v, datagram, xor: true); break;
                case StunAttributeType.ResponseOrigin: origin = StunCodec.ReadAddress(v, datagram, xor: false); break;
                case StunAttributeType.OtherAddress: other = StunCodec.ReadAddress(v, datagram, xor: false); break;
                case StunAttributeType.ChangeRequest:
                    change = (StunChangeRequest)(BinaryPrimitives.ReadUInt32BigEndian(v) & (uint)(StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort));
                    break;
                case StunAttributeType.ResponsePort: responsePort = BinaryPrimitives.ReadUInt16BigEndian(v); break;
                case StunAttributeType.ErrorCode:
                    error = new StunError((v[2] & 0x07) * 100 + v[3], Encoding.UTF8.GetString(v[4..]));
                    break;
                case StunAttributeType.UnknownAttributes:
                    unknownList = new ushort[v.Length / 2];
                    for (int i = 0; i < unknownList.Length; i++) unknownList[i] = BinaryPrimitives.ReadUInt16BigEndian(v[(2 * i)..]);
                    break;
                case StunAttributeType.Software: software = Encoding.UTF8.GetString(v); break;
            }
        }
        var header = new StunHeader(BinaryPrimitives.ReadUInt16BigEndian(datagram), datagram.Length - HeaderSize, StunTransactionId.Read(datagram[8..]));
        message = new StunMessage
        {
            Method = header.Method,
            Class = header.Class,
            TransactionId = header.TransactionId,
            MappedAddress = mapped,
            XorMappedAddress = xorMapped,
            ResponseOrigin = origin,
            OtherAddress = other,
            ChangeRequest = change,
            ResponsePort = responsePort,
            Error = error,
            UnknownAttributes = unknownList,
            Software = software,
            Fingerprint = fingerprint,
            UnknownComprehensionRequired = unknownCount == 0 ? [] : unknown[..Math.Min(unknownCount, unknown.Length)].ToArray(),
        };
        return StunReadStatus.Ok;
    }

    /// <summary>Encoded size in bytes.</summary>
    public int Size
    {
        get
        {
            int size = HeaderSize;
            if (Error is { } e) size += 4 + StunCodec.Padded(4 + StunCodec.TextSize(e.Reason));
            if (UnknownAttributes is { } u) size += 4 + StunCodec.Padded(2 * u.Length);
            if (XorMappedAddress is { } x) size += 4 + StunCodec.AddressValueSize(x);
            if (MappedAddress is { } m) size += 4 + StunCodec.AddressValueSize(m);
            if (ResponseOrigin is { } o) size += 4 + StunCodec.AddressValueSize(o);
            if (OtherAddress is { } a) size += 4 + StunCodec.AddressValueSize(a);
            if (ChangeRequest is not null) size += 8;
            if (ResponsePort is not null) size += 8;
            if (Software is { } s) size += 4 + StunCodec.Padded(StunCodec.TextSize(s));
            if (Fingerprint) size += StunCodec.FingerprintAttributeSize;
            return size;
        }
    }

    /// <summary>
    /// Encodes the message. Returns false (never throws) when it does not fit, or when a field cannot be
    /// encoded: method above 0xFFF, error code outside 300–699, text over RFC 8489's limits, total over 64 KiB.
    /// Order: ERROR-CODE, UNKNOWN-ATTRIBUTES, XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN,
    /// OTHER-ADDRESS, CHANGE-REQUEST, RESPONSE-PORT, SOFTWARE, FINGERPRINT.
    /// </summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if ((int)Method > StunMessageType.MaxMethod) return false;
        if (Error is { } e && (!e.IsValid || e.Reason is null || !StunCodec.IsEncodableText(e.Reason))) return false;
        if (Software is { } s && !StunCodec.IsEncodableText(s)) return false;
        var b = new StunBuilder(destination, Type, TransactionId);
        if (Error is { } error) b.ErrorCode(error.Code, error.Reason);
        if (UnknownAttributes is { } unknown) b.TypeList(StunAttributeType.UnknownAttributes, unknown);
        if (XorMappedAddress is { } x) b.Address(StunAttributeType.XorMappedAddress, x, xor: true);
        if (MappedAddress is { } m) b.Address(StunAttributeType.MappedAddress, m, xor: false);
        if (ResponseOrigin is { } o) b.Address(StunAttributeType.ResponseOrigin, o, xor: false);
        if (OtherAddress is { } a) b.Address(StunAttributeType.OtherAddress, a, xor: false);
        if (ChangeRequest is { } c) b.U32(StunAttributeType.ChangeRequest, (uint)(c & (StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort)));
        if (ResponsePort is { } p) b.U32(StunAttributeType.ResponsePort, (uint)p << 16);
        if (Software is { } software) b.Text(StunAttributeType.Software, software);
        return b.Finish(Fingerprint, out written);
    }

    /// <summary>Encodes into a new array (tests and cold paths).</summary>
    public byte[] ToArray()
    {
        var buffer = new byte[Size];
        if (!TryWrite(buffer, out int n) || n != buffer.Length) throw new InvalidOperationException("message cannot be encoded");
        return buffer;
    }
}
