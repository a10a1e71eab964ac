using System.Net;
using System.Text;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Messaging;
using Woven.Overlay;
using Woven.Sim.Engine;
using Woven.Sim.Network;
using Woven.Wire;
using Xunit.Abstractions;

namespace Woven.Sim.Tests;

/// <summary>Peer messaging on a simulated ring: loss, reordering, restarts, fragments, requests and presence.</summary>
public class MessagingTests(ITestOutputHelper output)
{
    /// <summary>A small ring whose nodes all run a message service; a node can crash and come back with the same key.</summary>
    private sealed class Mesh
    {
        private readonly Random _random;
        private readonly List<(NodeIdentity Identity, ClearLinkCrypto Crypto)> _keys = [];
        private readonly TimeSpan _beaconInterval;

        public Mesh(int count, int seed, double jitterMs = 15, TimeSpan? beaconInterval = null)
        {
            _beaconInterval = beaconInterval ?? TimeSpan.FromSeconds(2);
            _random = new Random(seed);
            Options = new SimNetworkOptions { LatencyMin = TimeSpan.FromMilliseconds(5), LatencyMax = TimeSpan.FromMilliseconds(15), Jitter = TimeSpan.FromMilliseconds(jitterMs) };
            Network = new SimNetwork(Loop, Options, _random.Next());
            for (int i = 0; i < count; i++)
            {
                var identity = ClearLinkCrypto.SeededIdentity(_random, out var crypto);
                _keys.Add((identity, crypto));
                Endpoints.Add(new IPEndPoint(SimNetwork.HostAddress(i), 7000));
                Nodes.Add(null!);
                Services.Add(null!);
                Create(i);
            }
            Nodes[0].Start([]);
            for (int i = 1; i < count; i++)
            {
                int index = i;
                Loop.At(Loop.Now + i * TimeSpan.FromMilliseconds(200).Ticks, () => Nodes[index].Start([Endpoints[0]]));
            }
            Loop.RunFor(TimeSpan.FromSeconds(30));
        }

        public SimLoop Loop { get; } = new();
        public SimNetworkOptions Options { get; }
        public SimNetwork Network { get; }
        public List<OverlayNode> Nodes { get; } = [];
        public List<MessageService> Services { get; } = [];
        public List<IPEndPoint> Endpoints { get; } = [];

        public MessagingOptions ServiceOptions(int i) => new() { Name = $"n{i}", BeaconInterval = _beaconInterval, OfflineAfter = _beaconInterval * 3.5 };

        private void Create(int i)
        {
            var (identity, crypto) = _keys[i];
            Nodes[i] = new OverlayNode(new OverlayOptions(), identity, Network.Bind(Endpoints[i]), Loop, new Random(_random.Next()), crypto: crypto);
            Services[i] = new MessageService(Nodes[i], Loop, new Random(_random.Next()), ServiceOptions(i));
        }

        /// <summary>Node i crashes (no leave) and a new process with the same key starts on the same endpoint.</summary>
        public void Restart(int i, int via)
        {
            Services[i].Dispose();
            Nodes[i].Dispose();
            Create(i);
            Nodes[i].Start([Endpoints[via]]);
        }

        public void Run(TimeSpan span) => Loop.RunFor(span);
    }

    private static byte[] Numbered(int sender, int n) => Encoding.ASCII.GetBytes($"{sender}:{n}");

    private static (int Sender, int N) Parse(byte[] data)
    {
        var parts = Encoding.ASCII.GetString(data).Split(':');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    [Fact]
    public void Under_loss_and_reordering_every_message_arrives_once_and_in_order_per_sender()
    {
        var mesh = new Mesh(8, seed: 41);
        var got = new List<(RingAddress From, int Sender, int N, string Topic)>();
        mesh.Services[5].Subscribe(null, m =>
        {
            var (sender, n) = Parse(m.Data);
            got.Add((m.From, sender, n, m.Topic));
        });
        mesh.Options.Loss = 0.15;
        const int PerSender = 1500;
        int acked = 0, failed = 0;
        var senders = new[] { 1, 2, 7 };
        for (int n = 0; n < PerSender; n++)
        {
            foreach (int s in senders)
            {
                Assert.True(mesh.Services[s].Send(mesh.Nodes[5].Address, n % 2 == 0 ? "even" : "odd", Numbered(s, n), ok => _ = ok ? acked++ : failed++));
            }
        }
        mesh.Run(TimeSpan.FromSeconds(60));

        Assert.Equal(0, failed);
        Assert.Equal(PerSender * senders.Length, acked);
        Assert.Equal(PerSender * senders.Length, got.Count);
        foreach (int s in senders)
        {
            var fromS = got.Where(g => g.From == mesh.Nodes[s].Address).ToList();
            Assert.All(fromS, g => Assert.Equal(s, g.Sender));
            Assert.Equal(Enumerable.Range(0, PerSender), fromS.Select(g => g.N));
            Assert.All(fromS, g => Assert.Equal(g.N % 2 == 0 ? "even" : "odd", g.Topic));
        }
        var sent = senders.Select(s => mesh.Services[s].Counters).ToList();
        var received = mesh.Services[5].Counters;
        output.WriteLine($"frames sent {sent.Sum(c => c.FramesSent)}, retransmits {sent.Sum(c => c.Retransmits)} ({sent.Sum(c => c.FastRetransmits)} fast), duplicates at the receiver {received.Duplicates}, early frames acked {received.AcksSent}");
        // The loss was real, and recovered from: frames were sent again, and some copies arrived twice.
        Assert.True(sent.Sum(c => c.Retransmits) > PerSender * senders.Length / 20);
        Assert.True(received.Duplicates > 0);
    }

    [Fact]
    public void Messages_up_to_one_MiB_are_cut_into_fragments_and_arrive_whole()
    {
        var mesh = new Mesh(5, seed: 42);
        var got = new List<byte[]>();
        mesh.Services[3].Subscribe("blob", m => got.Add(m.Data));
        mesh.Options.Loss = 0.05;
        var rng = new Random(1);
        var sizes = new[] { MessageService.MaxMessageSize, 0, 1, DataFrame.MaxData(4), DataFrame.MaxData(4) + 1, 100_000 };
        var blobs = sizes.Select(n => { var b = new byte[n]; rng.NextBytes(b); return b; }).ToList();
        foreach (var b in blobs) Assert.True(mesh.Services[1].Send(mesh.Nodes[3].Address, "blob", b));
        mesh.Run(TimeSpan.FromSeconds(60));

        Assert.Equal(blobs.Count, got.Count);
        for (int i = 0; i < blobs.Count; i++) Assert.True(blobs[i].AsSpan().SequenceEqual(got[i]), $"message {i} of {sizes[i]} bytes differs");
        Assert.Equal(0, mesh.Services[3].Counters.Malformed);
        var tooBig = Assert.Throws<ArgumentException>(() => mesh.Services[1].Send(mesh.Nodes[3].Address, "blob", new byte[MessageService.MaxMessageSize + 1]));
        Assert.Contains("1 MiB", tooBig.Message);
        Assert.Throws<ArgumentException>(() => mesh.Services[1].Send(mesh.Nodes[3].Address, "", [1]));
        Assert.Throws<ArgumentException>(() => mesh.Services[1].Send(mesh.Nodes[3].Address, new string('t', 65), [1]));
    }

    [Fact]
    public void A_restarted_peer_is_noticed_and_gets_what_was_in_flight_to_its_earlier_self()
    {
        var mesh = new Mesh(6, seed: 43);
        var target = mesh.Nodes[4].Address;
        var before = new List<int>();
        mesh.Services[4].Subscribe("t", m => before.Add(Parse(m.Data).N));
        mesh.Options.Loss = 0.05;
        int acked = 0, failed = 0;
        int n = 0;
        // A steady stream: 20 messages every 50 ms for 3 s; the receiver crashes after 1 s and is back 1 s later.
        for (int tick = 0; tick < 60; tick++)
        {
            mesh.Loop.At(mesh.Loop.Now + tick * TimeSpan.FromMilliseconds(50).Ticks, () =>
            {
                for (int k = 0; k < 20; k++) mesh.Services[2].Send(target, "t", Numbered(2, n++), ok => _ = ok ? acked++ : failed++);
            });
        }
        mesh.Run(TimeSpan.FromSeconds(1));
        mesh.Nodes[4].Dispose();
        mesh.Services[4].Dispose();
        mesh.Run(TimeSpan.FromSeconds(1));
        mesh.Restart(4, via: 0);
        var after = new List<int>();
        mesh.Services[4].Subscribe("t", m => after.Add(Parse(m.Data).N));
        mesh.Run(TimeSpan.FromSeconds(40));

        output.WriteLine($"before the crash {before.Count}, after the restart {after.Count}, restarts seen {mesh.Services[2].Counters.PeerRestarts}, failed {failed}");
        Assert.True(mesh.Services[2].Counters.PeerRestarts >= 1);
        Assert.Equal(1200, n);
        Assert.Equal(1200, acked + failed);
        // Each incarnation saw its messages once and in order, and between them every message arrived.
        Assert.Equal(before.Order(), before);
        Assert.Equal(before.Distinct().Count(), before.Count);
        Assert.Equal(after.Order(), after);
        Assert.Equal(after.Distinct().Count(), after.Count);
        Assert.Equal(Enumerable.Range(0, 1200), before.Union(after).Order());
        Assert.True(after.Count > 0 && after[^1] == 1199);
    }

    [Fact]
    public void A_request_gets_its_response_and_an_unanswered_one_times_out()
    {
        var mesh = new Mesh(5, seed: 44);
        var server = mesh.Services[2];
        server.Subscribe("upper", m => server.Reply(m, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(m.Data).ToUpperInvariant())));
        ReceivedMessage? answer = null, unanswered = null, gone = null;
        bool answered = false, timedOut = false, goneDone = false;
        mesh.Services[0].Request(mesh.Nodes[2].Address, "upper", Encoding.UTF8.GetBytes("hello"), TimeSpan.FromSeconds(5), r => (answer, answered) = (r, true));
        long start = mesh.Loop.Now;
        long doneAt = 0;
        mesh.Services[0].Request(mesh.Nodes[2].Address, "nobody-listens", [1], TimeSpan.FromSeconds(2), r => (unanswered, timedOut, doneAt) = (r, true, mesh.Loop.Now));
        mesh.Run(TimeSpan.FromSeconds(5));

        Assert.True(answered);
        Assert.Equal("HELLO", Encoding.UTF8.GetString(answer!.Data));
        Assert.Equal(MessageKind.Response, answer.Kind);
        Assert.Equal(mesh.Nodes[2].Address, answer.From);
        Assert.True(timedOut);
        Assert.Null(unanswered);
        Assert.InRange(TimeSpan.FromTicks(doneAt - start).TotalSeconds, 1.99, 2.1);
        Assert.Equal(1, mesh.Services[0].Counters.RequestsTimedOut);
        Assert.Equal(1, server.Counters.MessagesUnclaimed);

        // A peer that is gone: the request ends with null at its timeout too.
        mesh.Nodes[3].Dispose();
        mesh.Services[3].Dispose();
        mesh.Services[0].Request(mesh.Nodes[3].Address, "upper", [1], TimeSpan.FromSeconds(3), r => (gone, goneDone) = (r, true));
        mesh.Run(TimeSpan.FromSeconds(4));
        Assert.True(goneDone);
        Assert.Null(gone);
    }

    [Fact]
    public void A_joining_node_and_its_peers_learn_each_others_names_at_once_not_a_beacon_interval_later()
    {
        // Beacons only every 60 s: the names must come from the first beacon on a new link and its answer.
        var mesh = new Mesh(4, seed: 46, beaconInterval: TimeSpan.FromSeconds(60));
        for (int i = 0; i < 4; i++)
        {
            foreach (var p in mesh.Nodes[i].Snapshot().Peers)
            {
                int k = mesh.Nodes.FindIndex(n => n.Address == p.Address);
                Assert.True(mesh.Services[i].NameOf(p.Address) == $"n{k}", $"n{i} does not know the name of its peer n{k} 30 s after the start");
            }
        }
    }

    [Fact]
    public void Presence_shows_who_is_online_and_notices_a_leave_and_a_crash()
    {
        var mesh = new Mesh(7, seed: 45);
        var changes = new List<PresenceEntry>();
        mesh.Services[0].PresenceChanged += e => changes.Add(e);
        mesh.Run(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 7; i++)
        {
            var seen = mesh.Services[i].Presence();
            Assert.Equal(7, seen.Count);
            Assert.All(seen, e => Assert.True(e.Online, $"node {i} sees {e.Name} offline"));
            Assert.Equal(Enumerable.Range(0, 7).Select(k => $"n{k}").Order(), seen.Select(e => e.Name).Order());
        }
        Assert.Equal(mesh.Nodes[4].Address, mesh.Services[1].FindByName("N4"));
        Assert.Null(mesh.Services[1].FindByName("n9"));

        changes.Clear();
        mesh.Services[3].Leave();
        mesh.Nodes[3].Leave();
        mesh.Run(TimeSpan.FromSeconds(5));
        Assert.All(Enumerable.Range(0, 7).Where(i => i != 3), i => Assert.False(mesh.Services[i].Presence().Single(e => e.Name == "n3").Online, $"node {i} still sees n3 online"));
        Assert.Contains(changes, c => c.Name == "n3" && !c.Online);

        mesh.Nodes[5].Dispose();
        mesh.Services[5].Dispose();
        mesh.Run(TimeSpan.FromSeconds(3));
        Assert.True(mesh.Services[0].Presence().Single(e => e.Name == "n5").Online, "a crash is only noticed by silence");
        mesh.Run(TimeSpan.FromSeconds(12));
        var n5 = mesh.Services[0].Presence().Single(e => e.Name == "n5");
        Assert.False(n5.Online);
        Assert.InRange((mesh.Loop.GetUtcNow() - n5.LastSeen).TotalSeconds, 7, 18);
        Assert.Contains(changes, c => c.Name == "n5" && !c.Online);
        Assert.DoesNotContain(changes, c => c.Name is "n1" or "n2" or "n4" or "n6");
    }

    [Fact]
    public void Frames_that_do_not_decode_are_dropped_and_counted()
    {
        var mesh = new Mesh(4, seed: 46);
        int delivered = 0;
        mesh.Services[2].Subscribe(null, _ => delivered++);
        var frame = new byte[64];
        var data = new DataFrame(77, 0, 0, MessageKind.Message, 0, 0, 1, "t"u8, "forged"u8);
        Assert.True(data.TryWrite(frame, out int n));
        long before = mesh.Services[2].Counters.Malformed;
        // Over the link but broken: a bad kind, a truncated frame, a fragment index past its count.
        Assert.True(mesh.Nodes[1].SendSecure(mesh.Nodes[2].Address, RoutedPayloadType.Message, [9, 0, 0, 0]));
        Assert.True(mesh.Nodes[1].SendSecure(mesh.Nodes[2].Address, RoutedPayloadType.Message, frame.AsSpan(0, n - 8)[..(DataFrame.FixedSize - 1)]));
        frame[29] = 0;
        Assert.True(mesh.Nodes[1].SendSecure(mesh.Nodes[2].Address, RoutedPayloadType.Message, frame.AsSpan(0, n)));
        mesh.Run(TimeSpan.FromSeconds(3));
        Assert.Equal(0, delivered);
        Assert.Equal(3, mesh.Services[2].Counters.Malformed - before);
    }
}
