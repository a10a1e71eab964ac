using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Woven.Platform.Transport;

namespace Woven.Integration.Tests;

/// <summary>The node's UDP+TCP socket on real loopback sockets.</summary>
public sealed class DualTransportTests
{
    /// <summary>
    /// Regression: a peer's TCP connection with a frame already waiting when the node starts. Starting used to accept
    /// and read it inline, delivering on the starting thread while it held the overlay's lock, the reverse of the UDP
    /// thread's lock order: nodes hung at start-up. Delivery must happen on another thread, after the lock is free.
    /// </summary>
    [Fact]
    public async Task A_frame_waiting_at_start_is_delivered_on_another_thread_not_inline()
    {
        using var socket = new DualTransportSocket((UdpDatagramSocket)new UdpNetwork().Bind(new IPEndPoint(IPAddress.Loopback, 0)), listenTcp: true);
        Assert.True(socket.ListeningTcp);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(socket.LocalEndPoint);
        var frame = new byte[2 + 5];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 5);
        "hello"u8.CopyTo(frame.AsSpan(2));
        await peer.SendAsync(frame);
        await Task.Delay(200); // the connection and its bytes are queued in the kernel before Start

        var gate = new Lock();
        var delivered = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            socket.Start((from, data) =>
            {
                lock (gate) delivered.TrySetResult(Environment.CurrentManagedThreadId);
            });
            Thread.Sleep(300);
            Assert.False(delivered.Task.IsCompleted, "the frame was delivered while the starter still held its lock");
        }
        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, socket.TcpFramesIn);
    }
}
