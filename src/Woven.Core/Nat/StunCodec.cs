using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;

namespace Woven.Nat;

/// <summary>Why <see cref="StunMessage.Read"/> did not return a message.</summary>
public enum StunReadStatus
{
    Ok = 0,
    /// <summary>The header fails the demultiplexing test (<see cref="StunMessage.IsStun"/>): not STUN at all.</summary>
    NotStun,
    /// <summary>Looks like STUN but the framing is broken: length mismatch, truncated or unpadded attribute, FINGERPRINT not last.</summary>
    Malformed,
    /// <summary>FINGERPRINT present but wrong: RFC 8489 §7 says the message is then not a STUN message for us.</summary>
    BadFingerprint,
    /// <summary>Well framed, but an attribute Woven decodes has an invalid value (a request gets 400 Bad Request).</summary>
    BadAttribute,
}

/// <summary>Walks the attribute TLVs of a whole STUN message, checking each length against what is left.</summary>
internal ref struct StunAttributeWalker
{
    private readonly ReadOnlySpan<byte> _message;
    private int _position;

    public StunAttributeWalker(ReadOnlySpan<byte> message)
    {
        _message = message;
        _position = StunMessage.HeaderSize;
        Type = 0;
        Start = 0;
        Value = default;
    }

    public ushort Type { get; private set; }

    /// <summary>Offset of the attribute's type field from the start of the message.</summary>
    public int Start { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    /// <summary>1: an attribute was read; 0: the end of the message; -1: broken framing.</summary>
    public int Next()
    {
        int remaining = _message.Length - _position;
        if (remaining == 0) return 0;
        if (remaining < 4) return -1;
        Start = _position;
        Type = BinaryPrimitives.ReadUInt16BigEndian(_message[_position..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_message[(_position + 2)..]);
        int padded = (length + 3) & ~3;
        if (padded > remaining - 4) return -1;
        Value = _message.Slice(_position + 4, length);
        _position += 4 + padded;
        return 1;
    }
}

/// <summary>Shared decoding and encoding rules of the STUN codec (RFC 8489 §5, §14; RFC 5780 §7).</summary>
internal static class StunCodec
{
    /// <summary>RFC 8489 §14.8/§14.14: the decoder accepts up to 763 bytes of text.</summary>
    public const int MaxTextBytesDecoded = 763;

    /// <summary>RFC 8489: fewer than 128 characters, at most 509 bytes when encoding.</summary>
    public const int MaxTextBytesEncoded = 509;

    public const int MaxTextChars = 127;

    public const uint FingerprintXor = 0x5354554E;

    public const int FingerprintAttributeSize = 8;

    public const byte FamilyIPv4 = 0x01;
    public const byte FamilyIPv6 = 0x02;

    /// <summary>Index of a type Woven decodes, for the "first occurrence only" rule; -1 for the others.</summary>
    public static int DecodedIndex(ushort type) => type switch
    {
        StunAttributeType.MappedAddress => 0,
        StunAttributeType.XorMappedAddress => 1,
        StunAttributeType.ResponseOrigin => 2,
        StunAttributeType.OtherAddress => 3,
        StunAttributeType.ChangeRequest => 4,
        StunAttributeType.ResponsePort => 5,
        StunAttributeType.ErrorCode => 6,
        StunAttributeType.UnknownAttributes => 7,
        StunAttributeType.Software => 8,
        _ => -1,
    };

    public static bool IsAddressType(ushort type) =>
        type is StunAttributeType.MappedAddress or StunAttributeType.XorMappedAddress
            or StunAttributeType.ResponseOrigin or StunAttributeType.OtherAddress;

    /// <summary>Checks the value of an attribute Woven decodes (a type with a <see cref="DecodedIndex"/>).</summary>
    public static bool IsValidValue(ushort type, ReadOnlySpan<byte> value)
    {
        switch (type)
        {
            case StunAttributeType.MappedAddress:
            case StunAttributeType.XorMappedAddress:
            case StunAttributeType.ResponseOrigin:
            case StunAttributeType.OtherAddress:
                return (value.Length == 8 && value[1] == FamilyIPv4) || (value.Length == 20 && value[1] == FamilyIPv6);
            case StunAttributeType.ChangeRequest:
            case StunAttributeType.ResponsePort:
                return value.Length == 4;
            case StunAttributeType.ErrorCode:
                if (value.Length < 4 || value.Length - 4 > MaxTextBytesDecoded) return false;
                int cls = value[2] & 0x07;
                return cls is >= 3 and <= 6 && value[3] <= 99 && Utf8.IsValid(value[4..]);
            case StunAttributeType.UnknownAttributes:
                return (value.Length & 1) == 0;
            case StunAttributeType.Software:
                return value.Length <= MaxTextBytesDecoded && Utf8.IsValid(value);
            default:
                return true;
        }
    }

    /// <summary>
    /// Validates a whole datagram without allocating: header, exact length, every attribute's framing,
    /// FINGERPRINT (must be last; verified), and the value of the first occurrence of every decoded attribute.
    /// Attributes after MESSAGE-INTEGRITY(-SHA256) other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are
    /// ignored (RFC 8489 §14.5). Comprehension-required types that are unknown, or listed in
    /// <paramref name="unsupported"/>, go to <paramref name="unknown"/> once each, in order of appearance;
    /// <paramref name="unknownCount"/> counts them all, even past the span's capacity.
    /// </summary>
    public static StunReadStatus Scan(ReadOnlySpan<byte> datagram, ReadOnlySpan<ushort> unsupported,
        Span<ushort> unknown, out int unknownCount, out bool hasFingerprint)
    {
        unknownCount = 0;
        hasFingerprint = false;
        if (!StunMessage.IsStun(datagram)) return StunReadStatus.NotStun;
        if (StunMessage.HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) != datagram.Length)
            return StunReadStatus.Malformed;
        var walker = new StunAttributeWalker(datagram);
        int seen = 0;
        bool afterIntegrity = false;
        bool badAttribute = false;
        int step;
        while ((step = walker.Next()) == 1)
        {
            ushort type = walker.Type;
            if (hasFingerprint) return StunReadStatus.Malformed;
            if (type == StunAttributeType.Fingerprint)
            {
                if (walker.Value.Length != 4) return StunReadStatus.Malformed;
                uint expected = Crc32.Compute(datagram[..walker.Start]) ^ FingerprintXor;
                if (BinaryPrimitives.ReadUInt32BigEndian(walker.Value) != expected) return StunReadStatus.BadFingerprint;
                hasFingerprint = true;
                continue;
            }
            if (afterIntegrity && type != StunAttributeType.MessageIntegritySha256) continue;
            if (type is StunAttributeType.MessageIntegrity or StunAttributeType.MessageIntegritySha256) afterIntegrity = true;
            int index = DecodedIndex(type);
            if (index >= 0)
            {
                if ((seen & (1 << index)) != 0) continue; // only the first occurrence counts (RFC 8489 §14)
                seen |= 1 << index;
                if (!IsValidValue(type, walker.Value)) badAttribute = true;
            }
            if (StunAttributeType.IsComprehensionRequired(type) && (!StunAttributeType.IsKnown(type) || unsupported.Contains(type)))
            {
                bool duplicate = unknown[..Math.Min(unknownCount, unknown.Length)].Contains(type);
                if (!duplicate)
                {
                    if (unknownCount < unknown.Length) unknown[unknownCount] = type;
                    unknownCount++;
                }
            }
        }
        if (step < 0) return StunReadStatus.Malformed;
        return badAttribute ? StunReadStatus.BadAttribute : StunReadStatus.Ok;
    }

    /// <summary>Decodes a (validated) address value; XOR attributes are un-XORed with the cookie and transaction id.</summary>
    public static IPEndPoint ReadAddress(ReadOnlySpan<byte> value, ReadOnlySpan<byte> message, bool xor)
    {
        int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        Span<byte> address = stackalloc byte[16];
        int size = value[1] == FamilyIPv4 ? 4 : 16;
        address = address[..size];
        value.Slice(4, size).CopyTo(address);
        if (xor)
        {
            port ^= (int)(StunMessage.MagicCookie >> 16);
            var key = message.Slice(4, size); // magic cookie, then the transaction id
            for (int i = 0; i < size; i++) address[i] ^= key[i];
        }
        return new IPEndPoint(new IPAddress(address), port);
    }

    /// <summary>8 for IPv4 (IPv4-mapped IPv6 included, see <see cref="StunBuilder.Address"/>), 20 for IPv6.</summary>
    public static int AddressValueSize(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetwork || endpoint.Address.IsIPv4MappedToIPv6 ? 8 : 20;

    public static int TextSize(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);

    /// <summary>RFC 8489 text limits for encoding: fewer than 128 characters and at most 509 bytes.</summary>
    public static bool IsEncodableText(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxTextBytesEncoded) return false;
        int chars = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            if (++chars > MaxTextChars) return false;
        }
        return true;
    }

    public static int Padded(int length) => (length + 3) & ~3;
}

/// <summary>
/// Encodes a STUN message into a span: header first (length patched at the end), attributes padded with zeros,
/// FINGERPRINT last. Overflow is reported by <see cref="Finish"/>, never thrown.
/// </summary>
internal ref struct StunBuilder
{
    private readonly Span<byte> _buffer;
    private int _position;
    private bool _failed;

    public StunBuilder(Span<byte> buffer, ushort type, StunTransactionId transactionId)
    {
        _buffer = buffer;
        _position = 0;
        _failed = buffer.Length < StunMessage.HeaderSize;
        if (_failed) return;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.Write(buffer[8..]);
        _position = StunMessage.HeaderSize;
    }

    public readonly bool Ok => !_failed;

    /// <summary>Writes an attribute header and zero padding; returns the value's slice for the caller to fill.</summary>
    public bool Reserve(ushort type, int length, out Span<byte> value)
    {
        value = default;
        int padded = StunCodec.Padded(length);
        if (_failed || length > ushort.MaxValue || _buffer.Length - _position < 4 + padded)
        {
            _failed = true;
            return false;
        }
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_position + 2)..], (ushort)length);
        var slot = _buffer.Slice(_position + 4, padded);
        slot.Clear();
        value = slot[..length];
        _position += 4 + padded;
        return true;
    }

    public void Bytes(ushort type, scoped ReadOnlySpan<byte> value)
    {
        if (Reserve(type, value.Length, out var slot)) value.CopyTo(slot);
    }

    public void Text(ushort type, string text)
    {
        if (Reserve(type, Encoding.UTF8.GetByteCount(text), out var slot)) Encoding.UTF8.GetBytes(text, slot);
    }

    public void U32(ushort type, uint value)
    {
        if (Reserve(type, 4, out var slot)) BinaryPrimitives.WriteUInt32BigEndian(slot, value);
    }

    /// <summary>
    /// MAPPED-ADDRESS format; with <paramref name="xor"/> the XOR-MAPPED-ADDRESS obfuscation (RFC 8489 §14.2).
    /// An IPv4-mapped IPv6 address (what a dual-mode socket reports) is written as IPv4.
    /// </summary>
    public void Address(ushort type, IPEndPoint endpoint, bool xor)
    {
        Span<byte> raw = stackalloc byte[16];
        if (!endpoint.Address.TryWriteBytes(raw, out int n))
        {
            _failed = true;
            return;
        }
        ReadOnlySpan<byte> bytes = n == 16 && endpoint.Address.IsIPv4MappedToIPv6 ? raw[12..] : raw[..n];
        bool v4 = bytes.Length == 4;
        if (!Reserve(type, 4 + bytes.Length, out var slot)) return;
        slot[0] = 0;
        slot[1] = v4 ? StunCodec.FamilyIPv4 : StunCodec.FamilyIPv6;
        int port = endpoint.Port;
        if (xor) port ^= (int)(StunMessage.MagicCookie >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(slot[2..], (ushort)port);
        var address = slot[4..];
        bytes.CopyTo(address);
        if (xor)
        {
            var key = _buffer.Slice(4, bytes.Length); // magic cookie, then the transaction id
            for (int i = 0; i < address.Length; i++) address[i] ^= key[i];
        }
    }

    public void ErrorCode(int code, string reason)
    {
        if (!Reserve(StunAttributeType.ErrorCode, 4 + Encoding.UTF8.GetByteCount(reason), out var slot)) return;
        slot[0] = 0;
        slot[1] = 0;
        slot[2] = (byte)(code / 100);
        slot[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, slot[4..]);
    }

    public void ErrorCode(int code, scoped ReadOnlySpan<byte> reasonUtf8)
    {
        if (!Reserve(StunAttributeType.ErrorCode, 4 + reasonUtf8.Length, out var slot)) return;
        slot[0] = 0;
        slot[1] = 0;
        slot[2] = (byte)(code / 100);
        slot[3] = (byte)(code % 100);
        reasonUtf8.CopyTo(slot[4..]);
    }

    public void TypeList(ushort type, scoped ReadOnlySpan<ushort> types)
    {
        if (!Reserve(type, types.Length * 2, out var slot)) return;
        for (int i = 0; i < types.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(slot[(2 * i)..], types[i]);
    }

    /// <summary>Sets the header length and, if asked, appends FINGERPRINT computed over everything before it.</summary>
    public bool Finish(bool fingerprint, out int written)
    {
        written = 0;
        int total = _position + (fingerprint ? StunCodec.FingerprintAttributeSize : 0);
        if (_failed || total - StunMessage.HeaderSize > ushort.MaxValue || _buffer.Length < total)
        {
            _failed = true;
            return false;
        }
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(total - StunMessage.HeaderSize));
        if (fingerprint)
        {
            uint crc = Crc32.Compute(_buffer[.._position]) ^ StunCodec.FingerprintXor;
            U32(StunAttributeType.Fingerprint, crc);
        }
        written = _position;
        return !_failed;
    }
}
