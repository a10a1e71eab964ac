using System.Net;
using Woven.Transport;

namespace Woven.Overlay;

/// <summary>
/// Send batching: between <see cref="BeginBatch"/> and <see cref="EndBatch"/> the datagrams this node sends are
/// gathered instead of sent one by one, and the run that goes to one endpoint leaves in one
/// <see cref="IDatagramSocket.SendSegments"/> call (one system call with UDP GSO). The virtual network brackets the
/// pieces of a large packet this way. The datagrams and their order are the same as without the batch; only the
/// number of system calls changes.
/// </summary>
public sealed partial class OverlayNode
{
    /// <summary>Most datagrams and bytes gathered before they go out (the kernel's limits for one GSO send).</summary>
    private const int BatchSegments = 64;
    private const int BatchBytes = 65000;

    private byte[]? _batch;
    private int _batchDepth;
    private int _batchLength;
    private int _batchSegment;
    private bool _batchClosed;
    private IPEndPoint? _batchTo;

    /// <summary>Datagrams sent in batches of more than one, and the batches (for the status and the benchmarks).</summary>
    public (long Datagrams, long Batches) BatchCounters
    {
        get
        {
            lock (_gate) return (_batchedDatagrams, _batches);
        }
    }

    private long _batchedDatagrams;
    private long _batches;
    private int _batchCount;

    /// <summary>Starts gathering what this node sends; pairs may nest, and the outermost <see cref="EndBatch"/> sends.</summary>
    public void BeginBatch()
    {
        lock (_gate) _batchDepth++;
    }

    /// <summary>Sends what was gathered since the matching <see cref="BeginBatch"/>.</summary>
    public void EndBatch()
    {
        lock (_gate)
        {
            if (_batchDepth == 0) throw new InvalidOperationException("EndBatch without BeginBatch");
            if (--_batchDepth == 0) FlushBatch();
        }
    }

    /// <summary>Adds a datagram to the batch; a datagram for another endpoint, or one that does not fit the run's size, sends the batch first.</summary>
    private void Batch(IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        _batch ??= new byte[BatchBytes];
        if (_batchLength > 0 && (_batchClosed || datagram.Length > _batchSegment || _batchCount >= BatchSegments
            || _batchLength + datagram.Length > BatchBytes || !ReferenceEquals(to, _batchTo) && !to.Equals(_batchTo)))
        {
            FlushBatch();
        }
        if (_batchLength == 0)
        {
            _batchTo = to;
            _batchSegment = datagram.Length;
        }
        datagram.CopyTo(_batch.AsSpan(_batchLength));
        _batchLength += datagram.Length;
        _batchCount++;
        // A shorter datagram can only be the last of a run: everything before it has the run's size.
        if (datagram.Length < _batchSegment) _batchClosed = true;
    }

    private void FlushBatch()
    {
        if (_batchLength == 0 || _batch is null) return;
        if (_batchCount == 1)
        {
            _socket.Send(_batchTo!, _batch.AsSpan(0, _batchLength));
        }
        else
        {
            _socket.SendSegments(_batchTo!, _batch.AsSpan(0, _batchLength), _batchSegment);
            _batchedDatagrams += _batchCount;
            _batches++;
        }
        _batchLength = 0;
        _batchCount = 0;
        _batchClosed = false;
        _batchTo = null;
    }
}
