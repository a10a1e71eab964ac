using System.Net;
using Woven.Sim.Engine;
using Woven.Sim.Network;
using Woven.Transport;

namespace Woven.Sim.Tests;

public class SimNetworkTests
{
    private static IPEndPoint Host(int n) => new(SimNetwork.HostAddress(n), 7000);

    private sealed class Received
    {
        public List<(long At, IPEndPoint From, byte[] Data)> Items { get; } = [];
    }

    private static Received Listen(SimLoop loop, IDatagramSocket socket)
    {
        var r = new Received();
        socket.Start((from, data) => r.Items.Add((loop.Now, from, data.ToArray())));
        return r;
    }

    [Fact]
    public void A_datagram_arrives_after_the_pair_latency_with_its_bytes_and_sender()
    {
        var loop = new SimLoop();
        var options = new SimNetworkOptions { Jitter = TimeSpan.Zero };
        var net = new SimNetwork(loop, options, seed: 42);
        using var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        var got = Listen(loop, b);

        loop.RunUntil(TimeSpan.FromMilliseconds(3).Ticks);
        long sentAt = loop.Now;
        var buffer = new byte[] { 1, 2, 3, 4 };
        a.Send(b.LocalEndPoint, buffer);
        buffer[0] = 99; // the network copies the datagram when it is sent

        long latency = net.PairLatency(0, 1);
        Assert.InRange(latency, options.LatencyMin.Ticks, options.LatencyMax.Ticks);

        loop.RunUntil(sentAt + latency - 1);
        Assert.Empty(got.Items);
        loop.RunUntil(sentAt + latency);
        var item = Assert.Single(got.Items);
        Assert.Equal(sentAt + latency, item.At);
        Assert.Equal(a.LocalEndPoint, item.From);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, item.Data);
        Assert.Equal((1, 1, 0, 0), (net.Sent, net.Delivered, net.Lost, net.Undeliverable));

        // The way back takes exactly as long.
        var back = Listen(loop, a);
        long replyAt = loop.Now;
        b.Send(a.LocalEndPoint, [5]);
        loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(replyAt + latency, Assert.Single(back.Items).At);
        Assert.Equal(b.LocalEndPoint, back.Items[0].From);
    }

    [Fact]
    public void Jitter_adds_at_most_the_configured_delay_to_the_pair_latency()
    {
        var loop = new SimLoop();
        var options = new SimNetworkOptions { Jitter = TimeSpan.FromMilliseconds(5) };
        var net = new SimNetwork(loop, options, seed: 3);
        using var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        var got = Listen(loop, b);
        long latency = net.PairLatency(0, 1);

        var sentAt = new List<long>();
        for (int i = 0; i < 500; i++)
        {
            loop.At(i * TimeSpan.TicksPerSecond, () =>
            {
                sentAt.Add(loop.Now);
                a.Send(b.LocalEndPoint, [(byte)sentAt.Count]);
            });
        }
        loop.RunFor(TimeSpan.FromSeconds(600));

        Assert.Equal(500, got.Items.Count);
        var delays = got.Items.Select((x, i) => x.At - sentAt[i]).ToList();
        Assert.All(delays, d => Assert.InRange(d, latency, latency + options.Jitter.Ticks));
        Assert.All(delays, d => Assert.InRange(d, options.LatencyMin.Ticks, options.LatencyMax.Ticks + options.Jitter.Ticks));
        // The jitter is really applied (not always zero, not always the maximum).
        Assert.True(delays.Distinct().Count() > 100, $"only {delays.Distinct().Count()} distinct delays");
    }

    [Fact]
    public void Pair_latency_is_symmetric_in_range_and_deterministic_for_a_seed()
    {
        var options = new SimNetworkOptions { LatencyMin = TimeSpan.FromMilliseconds(20), LatencyMax = TimeSpan.FromMilliseconds(200) };
        var n1 = new SimNetwork(new SimLoop(), options, seed: 11);
        var n2 = new SimNetwork(new SimLoop(), options, seed: 11);
        var other = new SimNetwork(new SimLoop(), options, seed: 12);
        var all = new List<long>();
        int differ = 0;
        for (int a = 0; a < 60; a++)
        {
            for (int b = 0; b < 60; b++)
            {
                long l = n1.PairLatency(a, b);
                Assert.Equal(l, n1.PairLatency(b, a));
                Assert.Equal(l, n2.PairLatency(a, b));
                Assert.InRange(l, options.LatencyMin.Ticks, options.LatencyMax.Ticks);
                if (other.PairLatency(a, b) != l) differ++;
                all.Add(l);
            }
        }
        Assert.True(differ > 3000, $"a different seed changed only {differ} of 3600 latencies");
        // Spread over the whole range, not clustered.
        double lo = all.Min() / (double)TimeSpan.TicksPerMillisecond, hi = all.Max() / (double)TimeSpan.TicksPerMillisecond;
        Assert.InRange(lo, 20, 30);
        Assert.InRange(hi, 190, 200);
        double mean = all.Average() / TimeSpan.TicksPerMillisecond;
        Assert.InRange(mean, 100, 120);
    }

    [Fact]
    public void Equal_min_and_max_latency_gives_a_fixed_latency()
    {
        var fixedLatency = TimeSpan.FromMilliseconds(50);
        var net = new SimNetwork(new SimLoop(), new SimNetworkOptions { LatencyMin = fixedLatency, LatencyMax = fixedLatency, Jitter = TimeSpan.Zero }, 1);
        for (int a = 0; a < 20; a++)
        {
            for (int b = a + 1; b < 20; b++) Assert.Equal(fixedLatency.Ticks, net.PairLatency(a, b));
        }
    }

    [Fact]
    public void The_same_seed_and_sends_give_the_same_deliveries()
    {
        static List<(long, int)> Run(int seed)
        {
            var loop = new SimLoop();
            var net = new SimNetwork(loop, new SimNetworkOptions { Loss = 0.2, Jitter = TimeSpan.FromMilliseconds(30) }, seed);
            var sockets = Enumerable.Range(0, 5).Select(i => net.Bind(Host(i))).ToList();
            var log = new List<(long, int)>();
            foreach (var s in sockets) s.Start((from, data) => log.Add((loop.Now, data[0])));
            for (int i = 0; i < 200; i++) sockets[i % 5].Send(sockets[(i * 7 + 1) % 5].LocalEndPoint, [(byte)i]);
            loop.RunFor(TimeSpan.FromSeconds(1));
            return log;
        }

        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void About_the_configured_fraction_of_datagrams_is_lost()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions { Loss = 0.3 }, seed: 2026);
        using var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        var got = Listen(loop, b);
        const int Count = 10_000;

        for (int i = 0; i < Count; i++) a.Send(b.LocalEndPoint, [0, 0, (byte)i]);
        loop.RunFor(TimeSpan.FromSeconds(1));

        // Binomial(10000, 0.3): standard deviation ~46; allow about 5 of them.
        Assert.InRange(net.Lost, 2770, 3230);
        Assert.Equal(Count, net.Sent);
        Assert.Equal(Count - net.Lost, net.Delivered);
        Assert.Equal(net.Delivered, got.Items.Count);
        Assert.Equal(0, net.Undeliverable);
    }

    [Fact]
    public void No_loss_by_default()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions(), seed: 1);
        using var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        var got = Listen(loop, b);
        for (int i = 0; i < 1000; i++) a.Send(b.LocalEndPoint, [1]);
        loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(1000, got.Items.Count);
        Assert.Equal(0, net.Lost);
    }

    [Fact]
    public void Sending_to_an_unbound_endpoint_counts_as_undeliverable()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions(), seed: 1);
        using var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        var got = Listen(loop, b);

        a.Send(Host(2), [1]);
        a.Send(new IPEndPoint(SimNetwork.HostAddress(1), 7001), [1]); // right host, wrong port
        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal(2, net.Undeliverable);
        Assert.Equal(0, net.Delivered);
        Assert.Empty(got.Items);
        Assert.Equal(0, loop.Pending);
    }

    [Fact]
    public void A_disposed_socket_receives_nothing_even_what_was_in_flight()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions(), seed: 1);
        using var a = net.Bind(Host(0));
        var b = net.Bind(Host(1));
        var got = Listen(loop, b);

        a.Send(b.LocalEndPoint, [1]);          // in flight when b goes away
        b.Dispose();
        a.Send(Host(1), [2]);                   // sent after: b is no longer bound
        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Empty(got.Items);
        Assert.Equal(0, net.Delivered);
        Assert.Equal(2, net.Undeliverable); // both: the one in flight and the one sent after
        Assert.Equal(net.Sent, net.Delivered + net.Lost + net.Undeliverable);
        b.Dispose(); // idempotent
    }

    [Fact]
    public void A_disposed_socket_sends_nothing_and_its_endpoint_can_be_bound_again()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions(), seed: 1);
        var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        var got = Listen(loop, b);

        a.Dispose();
        a.Send(b.LocalEndPoint, [1]);
        loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(0, net.Sent);
        Assert.Empty(got.Items);

        using var again = net.Bind(Host(0));
        again.Send(b.LocalEndPoint, [2]);
        loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(Host(0), Assert.Single(got.Items).From);
    }

    [Fact]
    public void Binding_an_endpoint_twice_throws()
    {
        var net = new SimNetwork(new SimLoop(), new SimNetworkOptions(), seed: 1);
        using var a = net.Bind(Host(0));
        Assert.Throws<InvalidOperationException>(() => net.Bind(Host(0)));
    }

    [Fact]
    public void Blocked_drops_traffic_between_the_hosts_it_names_while_it_says_so()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions(), seed: 1);
        using var a = net.Bind(Host(0));
        using var b = net.Bind(Host(1));
        using var c = net.Bind(Host(2));
        var atA = Listen(loop, a);
        var atB = Listen(loop, b);
        var atC = Listen(loop, c);
        Assert.Equal((0, 1, 2), (((SimSocket)a).HostId, ((SimSocket)b).HostId, ((SimSocket)c).HostId));

        bool partitioned = true;
        net.Blocked = (from, to) => partitioned && from == 0 && to == 1; // one direction only
        a.Send(b.LocalEndPoint, [1]);
        b.Send(a.LocalEndPoint, [2]);
        a.Send(c.LocalEndPoint, [3]);
        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Empty(atB.Items);
        Assert.Single(atA.Items);
        Assert.Single(atC.Items);
        Assert.Equal(1, net.Lost);

        partitioned = false;
        a.Send(b.LocalEndPoint, [4]);
        loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(4, Assert.Single(atB.Items).Data[0]);

        net.Blocked = null;
        a.Send(b.LocalEndPoint, [5]);
        loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(2, atB.Items.Count);
        Assert.Equal(1, net.Lost);
    }

    [Fact]
    public void Datagrams_are_counted_by_their_second_byte()
    {
        var loop = new SimLoop();
        var net = new SimNetwork(loop, new SimNetworkOptions(), seed: 1);
        using var a = net.Bind(Host(0));
        a.Send(Host(1), [0, 7, 1]);
        a.Send(Host(1), [0, 7]);
        a.Send(Host(1), [0, 9]);
        a.Send(Host(1), [7]); // too short to have a type
        Assert.Equal(2, net.SentByType[7]);
        Assert.Equal(1, net.SentByType[9]);
        Assert.Equal(4, net.Sent);
    }

    [Fact]
    public void Host_addresses_are_distinct_and_in_ten_slash_eight()
    {
        var seen = new HashSet<IPAddress>();
        for (int n = 0; n < 70_000; n++)
        {
            var address = SimNetwork.HostAddress(n);
            Assert.Equal(10, address.GetAddressBytes()[0]);
            Assert.True(seen.Add(address));
        }
        Assert.Equal(IPAddress.Parse("10.0.0.1"), SimNetwork.HostAddress(0));
    }

    [Theory]
    [InlineData("negative loss")]
    [InlineData("certain loss")]
    [InlineData("negative jitter")]
    [InlineData("min above max")]
    [InlineData("negative min")]
    public void Invalid_options_are_rejected(string what)
    {
        var options = new SimNetworkOptions();
        switch (what)
        {
            case "negative loss": options.Loss = -0.1; break;
            case "certain loss": options.Loss = 1; break;
            case "negative jitter": options.Jitter = TimeSpan.FromMilliseconds(-1); break;
            case "min above max": options.LatencyMin = TimeSpan.FromMilliseconds(300); break;
            case "negative min": options.LatencyMin = TimeSpan.FromMilliseconds(-1); break;
        }
        Assert.NotEmpty(options.Validate());
        Assert.Throws<ArgumentException>(() => new SimNetwork(new SimLoop(), options, 1));
    }
}
