using System.Net;
using System.Net.Sockets;
using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary>A real node under a flood of garbage on its UDP port: it drops and counts every datagram and stays healthy.</summary>
public class MalformedFloodTests
{
    private const int Total = 100_000;
    private const int Batch = 500;

    [Fact]
    public async Task Hundred_thousand_malformed_datagrams_are_all_dropped_and_counted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var cluster = new LocalCluster(WovenBinary.Path);
        var node = cluster.Start([]);
        await node.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var random = new Random(100);
        var kinds = new int[6];
        long rssAfterWarmup = 0;
        int sent = 0;
        while (sent < Total)
        {
            for (int i = 0; i < Batch && sent < Total; i++, sent++)
            {
                int kind = sent % kinds.Length;
                kinds[kind]++;
                sender.SendTo(Malformed(kind, random), new IPEndPoint(IPAddress.Loopback, node.Listen.Port));
            }
            // Pace the flood so that the kernel's socket buffer never overflows: every datagram must reach the node.
            await WaitForCount(node, sent, cts.Token);
            if (sent == 10_000) rssAfterWarmup = node.ResidentBytes();
        }
        var status = await node.Control.GetStatusAsync(cts.Token);
        Assert.False(node.HasExited);
        Assert.Equal(Total, status.Counters.DatagramsIn);
        Assert.Equal(Total, status.Counters.DroppedTotal);
        Assert.Equal(0, status.Transport.HandlerFaults);
        Assert.Empty(status.Peers);
        // Each kind lands in its own counter.
        Assert.True(status.Counters.Dropped["oversize"] >= kinds[2]);
        Assert.True(status.Counters.Dropped["wrong_version"] >= kinds[3]);
        Assert.True(status.Counters.Dropped["unknown_type"] >= kinds[4]);
        // A truncated body is malformed, unless the cut leaves a well-formed message from a stranger: a handshake
        // message for no handshake (unknown peer) or a link message outside a sealed datagram (unauthenticated).
        Assert.True(status.Counters.Dropped["malformed"] + status.Counters.Dropped["unknown_peer"] + status.Counters.Dropped["unauthenticated"] >= kinds[1]);
        Assert.True(status.Counters.Dropped["malformed"] > 0 && status.Counters.Dropped["unauthenticated"] > 0);
        long growth = node.ResidentBytes() - rssAfterWarmup;
        Assert.True(growth < 24 * 1024 * 1024, $"resident memory grew by {growth / 1048576.0:F1} MiB over 90,000 datagrams");
    }

    private static async Task WaitForCount(NodeProcess node, int expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var s = await node.Control.GetStatusAsync(ct);
            if (s.Counters.DatagramsIn >= expected) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"node counted {s.Counters.DatagramsIn} of {expected} datagrams");
            await Task.Delay(5, ct);
        }
    }

    /// <summary>Kinds: 0 random bytes, 1 truncated valid header with garbage body, 2 oversized, 3 wrong version, 4 unknown type, 5 bad magic.</summary>
    private static byte[] Malformed(int kind, Random random)
    {
        byte[] b;
        switch (kind)
        {
            case 0:
                b = new byte[random.Next(0, 1473)];
                random.NextBytes(b);
                if (b.Length > 1 && b[0] == 0xD1 && b[1] == 0x01) b[1] = 0x42; // a random valid link request is 1 in 2^100; rule it out
                return b;
            case 1:
                b = new byte[random.Next(2, 60)];
                random.NextBytes(b);
                b[0] = 0xD1;
                b[1] = (byte)random.Next(1, 9);
                if (b[1] == 0x01) b = b[..Math.Min(b.Length, 30)];
                return b;
            case 2:
                b = new byte[random.Next(1473, 9000)];
                random.NextBytes(b);
                b[0] = 0xD1;
                return b;
            case 3:
                b = new byte[random.Next(2, 200)];
                random.NextBytes(b);
                b[0] = (byte)(0xD0 | random.Next(2, 16));
                return b;
            case 4:
                b = new byte[random.Next(2, 200)];
                random.NextBytes(b);
                b[0] = 0xD1;
                b[1] = (byte)random.Next(13, 256); // past the last message type (0x0C)
                return b;
            default:
                b = new byte[random.Next(2, 200)];
                random.NextBytes(b);
                b[0] = (byte)(b[0] & 0x3F); // STUN-like first byte: not overlay traffic
                return b;
        }
    }
}
