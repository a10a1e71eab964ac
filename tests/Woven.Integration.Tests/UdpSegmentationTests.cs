using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Woven.Platform.Transport;
using Woven.Transport;

namespace Woven.Integration.Tests;

/// <summary>UDP GSO on send and GRO on receive (<see cref="UdpDatagramSocket"/>), over real loopback sockets.</summary>
public sealed class UdpSegmentationTests
{
    private const int Segment = 1400;

    /// <summary>Datagrams of <see cref="Segment"/> bytes (the last <paramref name="lastLength"/>), each filled with its index.</summary>
    private static byte[] Segments(int count, int lastLength)
    {
        var data = new byte[(count - 1) * Segment + lastLength];
        for (int i = 0; i < count; i++)
        {
            int length = i == count - 1 ? lastLength : Segment;
            for (int j = 0; j < length; j++) data[i * Segment + j] = (byte)(i * 31 + j);
        }
        return data;
    }

    private static UdpDatagramSocket Bind(IPAddress address) => (UdpDatagramSocket)new UdpNetwork().Bind(new IPEndPoint(address, 0));

    /// <summary>Starts <paramref name="receiver"/> and collects what it is handed until <paramref name="count"/> datagrams came (10 s at most).</summary>
    private static async Task<List<byte[]>> ReceiveAsync(IDatagramSocket receiver, int count, Action send)
    {
        var got = new ConcurrentQueue<byte[]>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Start((from, data) =>
        {
            got.Enqueue(data.ToArray());
            if (got.Count >= count) done.TrySetResult();
        });
        send();
        await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        await Task.Delay(100); // anything extra that was wrongly split would arrive now
        return [.. got];
    }

    private static void AssertSame(byte[] segments, int count, List<byte[]> received)
    {
        Assert.Equal(count, received.Count);
        for (int i = 0; i < count; i++)
        {
            int length = Math.Min(Segment, segments.Length - i * Segment);
            Assert.Equal(segments.AsSpan(i * Segment, length).ToArray(), received[i]);
        }
    }

    [Fact]
    public async Task A_batch_leaves_in_one_system_call_and_arrives_as_the_same_datagrams()
    {
        using var sender = Bind(IPAddress.Loopback);
        using var receiver = Bind(IPAddress.Loopback);
        Assert.True(sender.GsoEnabled, "UDP_SEGMENT is in every kernel since 4.18");
        var data = Segments(26, 777);
        var received = await ReceiveAsync(receiver, 26, () => sender.SendSegments(receiver.LocalEndPoint, data, Segment));
        AssertSame(data, 26, received);
        Assert.Equal(1, sender.SegmentedSends);
        Assert.Equal(0, sender.SendErrors);
        // With UDP_GRO the kernel hands the batch over whole, and the socket cuts it apart again.
        Assert.True(receiver.GroEnabled);
        Assert.True(receiver.CoalescedReceives >= 1, "the receiver never got a coalesced batch");
    }

    [Fact]
    public void A_plain_socket_sees_separate_datagrams_of_the_segment_size()
    {
        using var sender = Bind(IPAddress.Loopback);
        using var plain = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        plain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        plain.ReceiveTimeout = 5000;
        var data = Segments(10, Segment);
        sender.SendSegments((IPEndPoint)plain.LocalEndPoint!, data, Segment);
        Assert.Equal(1, sender.SegmentedSends);
        var buffer = new byte[65536];
        for (int i = 0; i < 10; i++)
        {
            int n = plain.Receive(buffer);
            Assert.Equal(Segment, n);
            Assert.Equal(data.AsSpan(i * Segment, Segment).ToArray(), buffer.AsSpan(0, n).ToArray());
        }
        plain.ReceiveTimeout = 200;
        Assert.Throws<SocketException>(() => plain.Receive(buffer));
    }

    [Fact]
    public async Task Without_segmentation_the_batch_goes_one_datagram_per_call()
    {
        using var sender = Bind(IPAddress.Loopback);
        using var receiver = Bind(IPAddress.Loopback);
        sender.DisableGso();
        var data = Segments(8, 100);
        var received = await ReceiveAsync(receiver, 8, () => sender.SendSegments(receiver.LocalEndPoint, data, Segment));
        AssertSame(data, 8, received);
        Assert.Equal(0, sender.SegmentedSends);
        Assert.Equal(0, receiver.CoalescedReceives);
    }

    [Fact]
    public async Task A_batch_over_the_kernels_limits_goes_in_several_calls_and_a_dual_mode_socket_reaches_ipv4()
    {
        using var sender = Bind(IPAddress.IPv6Any); // dual mode: the destination is written as an IPv4-mapped address
        using var receiver = Bind(IPAddress.Loopback);
        var data = Segments(100, 1); // 100 segments: more than 64 per call and more than 65,000 bytes
        var received = await ReceiveAsync(receiver, 100, () => sender.SendSegments(receiver.LocalEndPoint, data, Segment));
        AssertSame(data, 100, received);
        Assert.Equal(3, sender.SegmentedSends); // 46 + 46 + 8 (65,000 / 1,400 = 46 per call)
    }

    [Fact]
    public async Task The_dual_transport_socket_forwards_batches_to_its_udp_socket()
    {
        using var dual = new DualTransportSocket(Bind(IPAddress.Loopback), listenTcp: false);
        using var receiver = Bind(IPAddress.Loopback);
        IDatagramSocket socket = dual;
        var data = Segments(5, 9);
        var received = await ReceiveAsync(receiver, 5, () => socket.SendSegments(receiver.LocalEndPoint, data, Segment));
        AssertSame(data, 5, received);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, 5 s at most.</summary>
    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (int i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        return condition();
    }

    [Fact]
    public async Task An_attached_descriptor_is_served_by_the_receive_thread_until_detached_or_broken()
    {
        using var receiver = Bind(IPAddress.Loopback);
        using var sender = Bind(IPAddress.Loopback);
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
        var writer = new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.Out, pipe.ClientSafePipeHandle);
        int handlerThread = 0, readerThread = 0, datagrams = 0, reads = 0;
        receiver.Start((from, data) =>
        {
            handlerThread = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref datagrams);
        });
        Assert.True(receiver.AttachReader((int)pipe.SafePipeHandle.DangerousGetHandle(), () =>
        {
            readerThread = Environment.CurrentManagedThreadId;
            pipe.ReadByte(); // readable, so it does not block
            return Interlocked.Increment(ref reads);
        }));
        sender.Send(receiver.LocalEndPoint, [1, 2, 3]);
        Assert.True(await EventuallyAsync(() => Volatile.Read(ref datagrams) == 1), "datagrams still arrive with a descriptor attached");
        writer.WriteByte(7);
        writer.Flush();
        Assert.True(await EventuallyAsync(() => Volatile.Read(ref reads) == 1), "the reader runs when the descriptor is readable");
        Assert.Equal(handlerThread, readerThread); // one thread for both
        receiver.DetachReader();
        await Task.Delay(300); // one poll timeout: the wait that still had the descriptor is over
        writer.WriteByte(8);
        writer.Flush();
        await Task.Delay(300);
        Assert.Equal(1, Volatile.Read(ref reads));
        pipe.ReadByte();
        // Attached again, then the other end closes: poll reports POLLHUP, which must detach it rather than spin.
        Assert.True(receiver.AttachReader((int)pipe.SafePipeHandle.DangerousGetHandle(), () => Interlocked.Increment(ref reads)));
        writer.Dispose();
        Assert.True(await EventuallyAsync(() => !receiver.ReaderAttached), "a broken descriptor is detached");
        Assert.Equal(1, receiver.HandlerFaults);
        Assert.Equal(1, Volatile.Read(ref reads));
        sender.Send(receiver.LocalEndPoint, [4]);
        Assert.True(await EventuallyAsync(() => Volatile.Read(ref datagrams) == 2), "and the socket goes on receiving");
    }
}
