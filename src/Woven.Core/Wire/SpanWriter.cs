using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;

namespace Woven.Wire;

/// <summary>Big-endian writer over a span that reports overflow instead of throwing.</summary>
public ref struct SpanWriter
{
    private readonly Span<byte> _buffer;
    private int _position;
    private bool _overflow;

    public SpanWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _overflow = false;
    }

    public readonly int Position => _position;

    /// <summary>False once any write did not fit.</summary>
    public readonly bool Ok => !_overflow;

    private Span<byte> Take(int count)
    {
        if (_overflow || _buffer.Length - _position < count)
        {
            _overflow = true;
            return Span<byte>.Empty;
        }
        var s = _buffer.Slice(_position, count);
        _position += count;
        return s;
    }

    public void U8(byte value)
    {
        var s = Take(1);
        if (!s.IsEmpty) s[0] = value;
    }

    public void U16(ushort value)
    {
        var s = Take(2);
        if (!s.IsEmpty) BinaryPrimitives.WriteUInt16BigEndian(s, value);
    }

    public void U32(uint value)
    {
        var s = Take(4);
        if (!s.IsEmpty) BinaryPrimitives.WriteUInt32BigEndian(s, value);
    }

    public void U64(ulong value)
    {
        var s = Take(8);
        if (!s.IsEmpty) BinaryPrimitives.WriteUInt64BigEndian(s, value);
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        var s = Take(value.Length);
        if (!s.IsEmpty) value.CopyTo(s);
    }

    public void Address(RingAddress value)
    {
        var s = Take(RingAddress.Size);
        if (!s.IsEmpty) value.Write(s);
    }

    /// <summary>family (4 or 6, plus 0x80 for a TCP endpoint), address bytes, port.</summary>
    public void Endpoint(IPEndPoint value)
    {
        byte tcp = value is Transport.TcpEndPoint ? (byte)0x80 : (byte)0;
        if (value.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            U8((byte)(4 | tcp));
            var s = Take(4);
            if (!s.IsEmpty) value.Address.TryWriteBytes(s, out _);
        }
        else
        {
            U8((byte)(6 | tcp));
            var s = Take(16);
            if (!s.IsEmpty) value.Address.TryWriteBytes(s, out _);
        }
        U16((ushort)value.Port);
    }

    public static int EndpointSize(IPEndPoint value) =>
        value.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 7 : 19;
}
