namespace Woven.Crypto.Noise;

/// <summary>
/// A sliding anti-replay window over 64-bit message counters, the bitmap of RFC 6479 as WireGuard uses it: a ring
/// of 8192 bits in 64-bit blocks, of which <see cref="WindowSize"/> bits trail the highest counter seen. A counter
/// is accepted once; counters more than <see cref="WindowSize"/> behind the highest are rejected, and a counter
/// ahead of it moves the window forward, clearing only the blocks it passes over. Not thread-safe: the owner
/// locks around it.
/// </summary>
public sealed class ReplayWindow
{
    private const int BlockShift = 6; // 64-bit blocks
    private const int BlockBitMask = (1 << BlockShift) - 1;
    private const int RingBlocks = 128;
    private const int RingBlockMask = RingBlocks - 1;

    /// <summary>How far behind the highest accepted counter a counter may be; one block is kept free for sliding.</summary>
    public const int WindowSize = (RingBlocks - 1) << BlockShift;

    private readonly ulong[] _ring = new ulong[RingBlocks];
    private ulong _highest;

    /// <summary>The highest counter accepted so far (0 before any).</summary>
    public ulong Highest => _highest;

    /// <summary>Whether <see cref="TryAccept"/> would accept the counter now; changes nothing.</summary>
    public bool IsAcceptable(ulong counter)
    {
        if (counter > _highest) return true;
        if (_highest - counter > WindowSize) return false;
        return (_ring[(int)(counter >> BlockShift) & RingBlockMask] & Bit(counter)) == 0;
    }

    /// <summary>
    /// Marks the counter as seen: false for a duplicate or a counter that is too old. Call it only for a message
    /// that authenticated, so that forged counters cannot move the window.
    /// </summary>
    public bool TryAccept(ulong counter)
    {
        if (counter > _highest)
        {
            ulong from = _highest >> BlockShift;
            ulong to = counter >> BlockShift;
            // Blocks that the window slides into held counters from a lap ago; a jump of a whole ring clears it all.
            ulong clear = Math.Min(to - from, RingBlocks);
            for (ulong i = 1; i <= clear; i++) _ring[(int)((from + i) & RingBlockMask)] = 0;
            _highest = counter;
        }
        else if (_highest - counter > WindowSize)
        {
            return false;
        }
        ref ulong block = ref _ring[(int)(counter >> BlockShift) & RingBlockMask];
        ulong bit = Bit(counter);
        if ((block & bit) != 0) return false;
        block |= bit;
        return true;
    }

    public void Reset()
    {
        Array.Clear(_ring);
        _highest = 0;
    }

    private static ulong Bit(ulong counter) => 1UL << (int)(counter & BlockBitMask);
}
