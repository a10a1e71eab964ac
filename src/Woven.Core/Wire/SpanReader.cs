using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;

namespace Woven.Wire;

/// <summary>
/// Big-endian reader over a span. Every read checks the remaining length first; once a read fails
/// the reader stays failed, so a decoder can read all fields and check <see cref="Ok"/> once.
/// </summary>
public ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;
    private bool _failed;

    public SpanReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _failed = false;
    }

    public readonly bool Ok => !_failed;

    public readonly int Remaining => _failed ? 0 : _buffer.Length - _position;

    /// <summary>True when every byte was consumed and no read failed.</summary>
    public readonly bool AtEnd => !_failed && _position == _buffer.Length;

    public void Fail() => _failed = true;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_failed || count < 0 || _buffer.Length - _position < count)
        {
            _failed = true;
            return ReadOnlySpan<byte>.Empty;
        }
        var s = _buffer.Slice(_position, count);
        _position += count;
        return s;
    }

    public byte U8()
    {
        var s = Take(1);
        return s.IsEmpty ? (byte)0 : s[0];
    }

    public ushort U16()
    {
        var s = Take(2);
        return s.IsEmpty ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(s);
    }

    public uint U32()
    {
        var s = Take(4);
        return s.IsEmpty ? 0 : BinaryPrimitives.ReadUInt32BigEndian(s);
    }

    public ulong U64()
    {
        var s = Take(8);
        return s.IsEmpty ? 0 : BinaryPrimitives.ReadUInt64BigEndian(s);
    }

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public RingAddress Address()
    {
        var s = Take(RingAddress.Size);
        return s.IsEmpty ? default : RingAddress.Read(s);
    }

    /// <summary>Reads an endpoint; unknown families and port 0 fail the reader.</summary>
    public IPEndPoint? Endpoint()
    {
        byte family = U8();
        bool tcp = (family & 0x80) != 0;
        family &= 0x7F;
        ReadOnlySpan<byte> addr;
        if (family == 4) addr = Take(4);
        else if (family == 6) addr = Take(16);
        else
        {
            _failed = true;
            return null;
        }
        ushort port = U16();
        if (_failed || port == 0)
        {
            _failed = true;
            return null;
        }
        return tcp ? new Transport.TcpEndPoint(new IPAddress(addr), port) : new IPEndPoint(new IPAddress(addr), port);
    }
}
