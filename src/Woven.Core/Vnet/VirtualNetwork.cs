using System.Buffers.Binary;
using System.Net;
using System.Text;
using Woven.Addressing;
using Woven.Dht;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Vnet;

/// <summary>Counters of the virtual network; every dropped packet is counted under its reason.</summary>
public sealed class VnetCounters
{
    public long PacketsOut { get; internal set; }
    public long BytesOut { get; internal set; }
    public long PacketsIn { get; internal set; }
    public long BytesIn { get; internal set; }
    /// <summary>Not an IPv4 or IPv6 packet, or a header that does not hold together.</summary>
    public long DroppedMalformed { get; internal set; }
    /// <summary>No member holds the destination address (or the lookup failed).</summary>
    public long DroppedNoRoute { get; internal set; }
    /// <summary>The source address is not the sending member's: spoofed (received, or refused before sending).</summary>
    public long DroppedSpoofed { get; internal set; }
    /// <summary>Not addressed to this node's address, or not sent by its source over its own link.</summary>
    public long DroppedNotForUs { get; internal set; }
    /// <summary>Too many packets waiting for an address lookup.</summary>
    public long DroppedQueueFull { get; internal set; }
    public long Lookups { get; internal set; }
    /// <summary>Large packets (IPv4 with DF set, and every IPv6 one) refused for a relayed link with an ICMP "fragmentation needed" or an ICMPv6 "packet too big" to their sender.</summary>
    public long TooBigForPath { get; internal set; }
    /// <summary>Large packets of which a fragment never came (within 2 s).</summary>
    public long DroppedIncomplete { get; internal set; }
}

/// <summary>
/// The virtual IP network (IPOP): IPv4 and IPv6 packets read from a TUN device go to the member that holds the destination
/// address, over this node's own link with it (<see cref="OverlayNode.SendSecure"/>: direct, or relayed with data
/// sealed end to end; a link is opened on first use, as IPOP's shortcuts are), and packets from members are written to
/// the TUN device once their source address is checked to be the sender's. Who holds an address is a claim in the
/// DHT: key "vip4/ADDRESS", owned by the holder's node key, value the holder's name; "name/NAME.ZONE" claims a name
/// and holds the address. Lookups are cached for a minute. An IPv6 address is derived from the holder's ring address
/// (<see cref="UniqueLocalPrefix"/>); its record under "vip6/ADDRESS" only maps it back to the full ring address, and a
/// packet whose source is the sender's derived address is accepted without a lookup.
/// </summary>
public sealed partial class VirtualNetwork : IDisposable
{
    /// <summary>
    /// The TUN MTU. Fewer, larger packets through the TUN device cost far less per byte (the kernel's TCP and the
    /// device's system calls work per packet), so the device takes 32,768-byte packets, and a packet larger than one
    /// sealed datagram carries is split into fragments of at most <see cref="FragmentChunk"/> bytes (26 for a full
    /// packet), each sealed as a datagram of its own under 1,500 bytes (no IP fragmentation on a 1,500-byte path),
    /// sent together in one batch (one system call with UDP GSO) and put together again by the receiver. One lost
    /// fragment loses the whole packet, which TCP then sends again.
    /// </summary>
    public const int DefaultMtu = 32768;

    /// <summary>The largest packet sent whole: what a relayed link carries in one sealed datagram (1,294) less a margin.</summary>
    public const int MaxWhole = 1288;

    public const int FragmentHeader = 6;
    public const int FragmentChunk = 1280;

    private const int ReassemblyPerSource = 32;
    private const int ReassemblyTotal = 512;
    private static readonly TimeSpan ReassemblyFor = TimeSpan.FromSeconds(2);

    private const int PendingPerAddress = 32;
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PendingFor = TimeSpan.FromSeconds(5);

    private readonly OverlayNode _overlay;
    private readonly DhtNode _dht;
    private readonly TimeProvider _time;
    // Keyed by the address as 128 bits, IPv4 addresses mapped (::ffff:a.b.c.d).
    private readonly Dictionary<UInt128, (RingAddress Owner, long Until)> _owners = [];
    private readonly Dictionary<UInt128, Pending> _pending = [];
    private UInt128? _own6;
    private readonly UInt128 _prefix6; // the IPv6 prefix's network bits, shifted down by _prefix6Shift
    private readonly int _prefix6Shift;
    private readonly ulong _subnet0; // the upper 64 bits of every derived address (UniqueLocalPrefix.Subnet0)
    private readonly Dictionary<(RingAddress Source, uint Id), Reassembly> _reassembly = [];
    private readonly Dictionary<RingAddress, int> _reassemblyPerSource = [];
    private uint _nextFragmentId;

    /// <summary>A large packet being put together: its pieces go straight to their place in one pooled buffer.</summary>
    private sealed class Reassembly(int count, long started)
    {
        public byte[] Buffer { get; } = System.Buffers.ArrayPool<byte>.Shared.Rent(count * FragmentChunk);
        public ulong Have { get; set; } // bit i: piece i arrived (count is at most 52)
        public int Count { get; } = count;
        public int Length { get; set; }
        public int Received { get; set; }
        public long Started { get; } = started;
    }
    private ITunDevice? _tun;
    private Thread? _reader;
    private volatile bool _stopped;
    private readonly byte[] _readBuffer = new byte[65536]; // the one reader's

    private sealed class Pending
    {
        public List<byte[]> Outbound { get; } = [];
        public List<(RingAddress From, byte[] Packet)> Inbound { get; } = [];
        public long Since { get; init; }
    }

    /// <param name="ipv6Prefix">The domain's unique local prefix (/48 to /64), or null for IPv4 only.</param>
    public VirtualNetwork(OverlayNode overlay, DhtNode dht, IPNetwork range, TimeProvider time, IPNetwork? ipv6Prefix = null)
    {
        if (range.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) throw new ArgumentException("range: an IPv4 network", nameof(range));
        if (ipv6Prefix is { } p6 && UniqueLocalPrefix.Error(p6) is { } error) throw new ArgumentException($"ipv6Prefix: {error}", nameof(ipv6Prefix));
        Ipv6Prefix = ipv6Prefix;
        if (ipv6Prefix is { } prefix6)
        {
            // Worked out once: the packet path compares 128-bit numbers only.
            _prefix6Shift = 128 - prefix6.PrefixLength;
            _prefix6 = UniqueLocalPrefix.ToKey(prefix6.BaseAddress) >> _prefix6Shift;
            _subnet0 = UniqueLocalPrefix.Subnet0(prefix6);
        }
        _overlay = overlay;
        _dht = dht;
        _time = time;
        Range = range;
        overlay.ExcludeEndpoints(range);
        overlay.AttachService(RoutedPayloadType.IpPacket, OnPacket, OnTick);
        overlay.AttachService(RoutedPayloadType.IpFragment, OnFragment);
    }

    public IPNetwork Range { get; }

    /// <summary>The virtual network's IPv6 prefix; null when it is IPv4 only.</summary>
    public IPNetwork? Ipv6Prefix { get; }

    /// <summary>This node's IPv6 address in the virtual network, once it holds one.</summary>
    public IPAddress? Address6 { get; private set; }

    /// <summary>This node's address in the virtual network, once it holds one.</summary>
    public IPAddress? Address { get; private set; }

    public VnetCounters Counters { get; } = new();

    /// <summary>The DHT key of an address's holder: "vip4/ADDRESS" or "vip6/ADDRESS" (the address in its usual text form).</summary>
    public static RingAddress AddressKey(IPAddress address) =>
        DhtRecord.KeyOf((address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "vip6/" : "vip4/") + address);

    public static RingAddress NameKey(string fqdn) => DhtRecord.KeyOf("name/" + fqdn.ToLowerInvariant().TrimEnd('.'));

    /// <summary>
    /// The key of a name's IPv6 address: "name6/NAME.ZONE", a value (put) by the holder of "name/NAME.ZONE" whose value
    /// is the address's text. A key of its own, so that the name's claim keeps its IPv4-only value for older readers.
    /// </summary>
    public static RingAddress Name6Key(string fqdn) => DhtRecord.KeyOf("name6/" + fqdn.ToLowerInvariant().TrimEnd('.'));

    /// <summary>
    /// Starts moving packets between <paramref name="tun"/> and the overlay for <paramref name="address"/>. Without
    /// <paramref name="readLoop"/> no thread of its own reads the device: the caller hands packets to
    /// <see cref="Outgoing"/> (the simulator, which must stay on one thread) or calls <see cref="ReadQueued"/> when the
    /// device is readable (a node whose receive thread waits for it). With an IPv6 prefix the node's IPv6 address is
    /// <paramref name="address6"/> (a member certificate's) or else its derived one; <paramref name="ipv6"/> false
    /// leaves it without one (IPv6 is off on the host).
    /// </summary>
    public void Start(IPAddress address, ITunDevice tun, bool readLoop = true, IPAddress? address6 = null, bool ipv6 = true)
    {
        if (!Range.Contains(address)) throw new ArgumentException($"address {address} is outside the network {Range}", nameof(address));
        if (address6 is not null && (Ipv6Prefix is not { } p || !p.Contains(address6))) throw new ArgumentException($"address6 {address6} is outside the IPv6 prefix {Ipv6Prefix?.ToString() ?? "(none)"}", nameof(address6));
        if (ipv6 && Ipv6Prefix is { } prefix)
        {
            Address6 = address6 ?? UniqueLocalPrefix.AddressOf(prefix, _overlay.Address);
            _own6 = UniqueLocalPrefix.ToKey(Address6);
        }
        Address = address;
        _tun = tun;
        if (!readLoop) return;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"tun {tun.Name}" };
        _reader.Start();
    }

    /// <summary>The TUN reader thread (when <see cref="Start"/> was asked for one): waits for the device, then takes what it holds.</summary>
    private void ReadLoop()
    {
        while (!_stopped)
        {
            try
            {
                if (_tun!.WaitReadable(250)) ReadQueued(int.MaxValue);
            }
            catch (IOException)
            {
                if (_stopped) return;
                Thread.Sleep(10); // a device error: not a busy loop while it lasts
            }
        }
    }

    /// <summary>
    /// Reads and sends what the TUN device holds now, at most <paramref name="max"/> packets, on the calling thread;
    /// returns how many it took. For a node started without the read loop whose receive thread waits for its socket and
    /// the device together (<c>UdpDatagramSocket.AttachReader</c>), as tinc's one thread does: the host's answer to a
    /// packet that thread just wrote to the device (an ICMP echo reply, a TCP ACK) then leaves from the thread that is
    /// already running, without waking another. Only one thread may read the device.
    /// </summary>
    public int ReadQueued(int max = 64)
    {
        var tun = _tun;
        if (tun is null) return 0;
        int taken = 0;
        while (taken < max && !_stopped)
        {
            int n = tun.TryRead(_readBuffer);
            if (n <= 0) break;
            taken++;
            Outgoing(_readBuffer.AsSpan(0, n));
        }
        return taken;
    }

    /// <summary>A packet the host sent into the TUN device.</summary>
    public void Outgoing(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > 0 && packet[0] >> 4 == 6)
        {
            Outgoing6(packet);
            return;
        }
        if (!TryAddresses(packet, out uint source, out uint destination))
        {
            _overlay.Invoke(() => Counters.DroppedMalformed++);
            return;
        }
        var own = Address;
        if (own is not null && source != ToUInt(own) && InRange(source))
        {
            // Another member's address as the source: this node refuses to send it (its peers would drop it anyway).
            _overlay.Invoke(() => Counters.DroppedSpoofed++);
            return;
        }
        if (own is null || source != ToUInt(own) || !InRange(destination))
        {
            _overlay.Invoke(() => Counters.DroppedNoRoute++);
            return;
        }
        Route(Mapped(destination), packet);
    }

    private void Outgoing6(ReadOnlySpan<byte> packet)
    {
        if (!TryAddresses6(packet, out var source, out var destination))
        {
            _overlay.Invoke(() => Counters.DroppedMalformed++);
            return;
        }
        var own = _own6;
        if (own is { } o && source != o && InPrefix6(source))
        {
            _overlay.Invoke(() => Counters.DroppedSpoofed++);
            return;
        }
        // Also what the kernel sends on its own from a link-local address (router solicitations, MLD reports).
        if (own is null || source != own || !InPrefix6(destination))
        {
            _overlay.Invoke(() => Counters.DroppedNoRoute++);
            return;
        }
        Route(destination, packet);
    }

    /// <summary>Under the overlay's lock with the caller's span: no copy and no closure unless the packet has to wait.</summary>
    private void Route(UInt128 destination, ReadOnlySpan<byte> packet) =>
        _overlay.Invoke(packet, (this, destination), static (p, s) => s.Item1.RouteLocked(s.destination, p));

    private void RouteLocked(UInt128 destination, ReadOnlySpan<byte> packet)
    {
        if (TryOwner(destination, out var owner))
        {
            Send(owner, packet);
            return;
        }
        var pending = PendingFor_(destination);
        if (pending.Outbound.Count >= PendingPerAddress) Counters.DroppedQueueFull++;
        else pending.Outbound.Add(packet.ToArray());
    }

    /// <summary>Whether an address lies in the IPv6 prefix (only called once this node holds an IPv6 address, so with a prefix).</summary>
    private bool InPrefix6(UInt128 address) => address >> _prefix6Shift == _prefix6;

    private static UInt128 Mapped(uint ipv4) => ((UInt128)0xFFFF << 32) | ipv4;

    private void Send(RingAddress owner, ReadOnlySpan<byte> packet)
    {
        if (owner == _overlay.Address)
        {
            Counters.DroppedNoRoute++;
            return;
        }
        bool sent;
        bool ipv6 = packet[0] >> 4 == 6;
        if (packet.Length > MaxWhole && (ipv6 || (packet[6] & 0x40) != 0) && _overlay.LinkIsRelayed(owner) == true)
        {
            // A relay forwards every piece of a large packet, and losing one loses it all: over a relayed link, tell
            // the sender's kernel the path takes 1,288 bytes (ICMP "fragmentation needed", ICMPv6 "packet too big"),
            // and TCP sends smaller segments to that address from now on. IPv4 packets without DF still go in pieces;
            // IPv6 has no DF (only the source fragments), so every large IPv6 packet is answered.
            Counters.TooBigForPath++;
            _tun?.Write(ipv6 ? PacketTooBig(packet, MaxWhole) : FragmentationNeeded(packet, MaxWhole));
            return;
        }
        if (packet.Length <= MaxWhole)
        {
            sent = _overlay.SendSecure(owner, RoutedPayloadType.IpPacket, packet);
        }
        else
        {
            // id (4), index (1), count (1), then the piece; each piece sealed and sent on its own.
            int count = (packet.Length + FragmentChunk - 1) / FragmentChunk;
            uint id = ++_nextFragmentId;
            Span<byte> fragment = stackalloc byte[FragmentHeader + FragmentChunk];
            sent = true;
            // The pieces leave together: datagrams of one size to one endpoint, one system call where GSO works.
            _overlay.BeginBatch();
            try
            {
                for (int i = 0; i < count && sent; i++)
                {
                    int offset = i * FragmentChunk;
                    int length = Math.Min(FragmentChunk, packet.Length - offset);
                    BinaryPrimitives.WriteUInt32BigEndian(fragment, id);
                    fragment[4] = (byte)i;
                    fragment[5] = (byte)count;
                    packet.Slice(offset, length).CopyTo(fragment[FragmentHeader..]);
                    sent = _overlay.SendSecure(owner, RoutedPayloadType.IpFragment, fragment[..(FragmentHeader + length)]);
                }
            }
            finally
            {
                _overlay.EndBatch();
            }
        }
        if (sent)
        {
            Counters.PacketsOut++;
            Counters.BytesOut += packet.Length;
        }
        else
        {
            Counters.DroppedQueueFull++;
        }
    }

    /// <summary>A piece of a large packet from a member (under the overlay's lock).</summary>
    private void OnFragment(in Routed header, ReadOnlySpan<byte> payload, bool fromSource)
    {
        if (!fromSource || Address is null)
        {
            Counters.DroppedNotForUs++;
            return;
        }
        if (payload.Length <= FragmentHeader || payload.Length > FragmentHeader + FragmentChunk)
        {
            Counters.DroppedMalformed++;
            return;
        }
        uint id = BinaryPrimitives.ReadUInt32BigEndian(payload);
        int index = payload[4], count = payload[5];
        if (count < 2 || index >= count || (index < count - 1 && payload.Length != FragmentHeader + FragmentChunk) || count * FragmentChunk > 65536 + FragmentChunk)
        {
            Counters.DroppedMalformed++;
            return;
        }
        var key = (header.Source, id);
        if (!_reassembly.TryGetValue(key, out var r))
        {
            _reassemblyPerSource.TryGetValue(header.Source, out int open);
            if (open >= ReassemblyPerSource || _reassembly.Count >= ReassemblyTotal)
            {
                Counters.DroppedQueueFull++;
                return;
            }
            r = new Reassembly(count, _time.GetTimestamp());
            _reassembly[key] = r;
            _reassemblyPerSource[header.Source] = open + 1;
        }
        if (r.Count != count)
        {
            Counters.DroppedMalformed++;
            return;
        }
        if ((r.Have & (1UL << index)) != 0) return; // a duplicate
        r.Have |= 1UL << index;
        var piece = payload[FragmentHeader..];
        piece.CopyTo(r.Buffer.AsSpan(index * FragmentChunk));
        if (index == count - 1) r.Length = index * FragmentChunk + piece.Length;
        if (++r.Received < count) return;
        EndReassembly(key);
        try
        {
            Incoming(header.Source, r.Buffer.AsSpan(0, r.Length));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(r.Buffer);
        }
    }

    /// <summary>Forgets a packet being put together; its buffer goes back to the pool with the caller (done) or here (given up).</summary>
    private void EndReassembly((RingAddress Source, uint Id) key, bool returnBuffer = false)
    {
        if (_reassembly.Remove(key, out var r) && returnBuffer) System.Buffers.ArrayPool<byte>.Shared.Return(r.Buffer);
        if (_reassemblyPerSource.TryGetValue(key.Source, out int open))
        {
            if (open <= 1) _reassemblyPerSource.Remove(key.Source);
            else _reassemblyPerSource[key.Source] = open - 1;
        }
    }

    /// <summary>A packet from a member (under the overlay's lock).</summary>
    private void OnPacket(in Routed header, ReadOnlySpan<byte> payload, bool fromSource)
    {
        // Only what the source sent over its own link with us counts: a router on the way could forge anything else.
        if (!fromSource || Address is null)
        {
            Counters.DroppedNotForUs++;
            return;
        }
        Incoming(header.Source, payload);
    }

    /// <summary>A whole packet from <paramref name="sender"/>, over its own link: checked, then written to the device.</summary>
    private void Incoming(RingAddress sender, ReadOnlySpan<byte> payload)
    {
        UInt128 source, destination;
        UInt128? own;
        if (payload.Length > 0 && payload[0] >> 4 == 6 && TryAddresses6(payload, out source, out destination))
        {
            own = _own6;
            // Subnet 0 holds derived addresses only: the source is the sender's when it is made from the sender's ring
            // address, and spoofed otherwise; no lookup either way.
            if (own is not null && destination == own && (ulong)(source >> 64) == _subnet0)
            {
                if (source == new UInt128(_subnet0, UniqueLocalPrefix.InterfaceId(sender))) Accept(sender, sender, payload);
                else Counters.DroppedSpoofed++;
                return;
            }
        }
        else if (TryAddresses(payload, out uint source4, out uint destination4))
        {
            (source, destination, own) = (Mapped(source4), Mapped(destination4), Mapped(ToUInt(Address!)));
        }
        else
        {
            Counters.DroppedMalformed++;
            return;
        }
        if (destination != own)
        {
            Counters.DroppedNotForUs++;
            return;
        }
        if (TryOwner(source, out var owner))
        {
            Accept(sender, owner, payload);
            return;
        }
        var pending = PendingFor_(source);
        if (pending.Inbound.Count >= PendingPerAddress) Counters.DroppedQueueFull++;
        else pending.Inbound.Add((sender, payload.ToArray()));
    }

    private void Accept(RingAddress from, RingAddress owner, ReadOnlySpan<byte> packet)
    {
        if (from != owner)
        {
            Counters.DroppedSpoofed++;
            return;
        }
        Counters.PacketsIn++;
        Counters.BytesIn += packet.Length;
        _tun?.Write(packet);
    }

    private bool TryOwner(UInt128 address, out RingAddress owner)
    {
        if (_owners.TryGetValue(address, out var cached) && _time.GetTimestamp() < cached.Until)
        {
            owner = cached.Owner;
            return true;
        }
        if ((Address is { } own && address == Mapped(ToUInt(own))) || address == _own6)
        {
            owner = _overlay.Address;
            return true;
        }
        owner = default;
        return false;
    }

    private Pending PendingFor_(UInt128 address)
    {
        if (_pending.TryGetValue(address, out var pending)) return pending;
        pending = new Pending { Since = _time.GetTimestamp() };
        _pending[address] = pending;
        Counters.Lookups++;
        var ip = UniqueLocalPrefix.ToAddress(address);
        _dht.Get(AddressKey(ip), result => Resolved(address, result));
        return pending;
    }

    /// <summary>The DHT answered who holds an address (under the overlay's lock).</summary>
    private void Resolved(UInt128 address, DhtResult result)
    {
        if (!_pending.Remove(address, out var pending)) return;
        ulong now = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        var claim = result.Ok ? HolderOf(UniqueLocalPrefix.ToAddress(address), result.Records, now, Ipv6Prefix) : null;
        if (claim is null)
        {
            Counters.DroppedNoRoute += pending.Outbound.Count + pending.Inbound.Count;
            return;
        }
        var owner = RingAddress.FromPublicKey(claim.Owner);
        long until = _time.GetTimestamp() + (long)(Math.Min(CacheFor.TotalSeconds, (claim.Expires - now) / 1000.0) * _time.TimestampFrequency);
        _owners[address] = (owner, until);
        foreach (var packet in pending.Outbound) Send(owner, packet);
        foreach (var (from, packet) in pending.Inbound) Accept(from, owner, packet);
    }

    private void OnTick(long now)
    {
        if (_reassembly.Count > 0)
        {
            long stale = (long)(ReassemblyFor.TotalSeconds * _time.TimestampFrequency);
            foreach (var key in _reassembly.Where(p => now - p.Value.Started > stale).Select(p => p.Key).ToList())
            {
                EndReassembly(key, returnBuffer: true);
                Counters.DroppedIncomplete++;
            }
        }
        if (_pending.Count == 0) return;
        long limit = (long)(PendingFor.TotalSeconds * _time.TimestampFrequency);
        foreach (var (address, pending) in _pending.Where(p => now - p.Value.Since > limit).ToList())
        {
            _pending.Remove(address);
            Counters.DroppedNoRoute += pending.Outbound.Count + pending.Inbound.Count;
        }
    }

    /// <summary>Tells this node who holds an address (a certificate's static address, or a claim just made).</summary>
    public void Learn(IPAddress address, RingAddress owner, TimeSpan validFor) => _overlay.Invoke(() =>
        _owners[UniqueLocalPrefix.ToKey(address)] = (owner, _time.GetTimestamp() + (long)(validFor.TotalSeconds * _time.TimestampFrequency)));

    /// <summary>Forgets a cached holder (its packets bounced, or its claim changed).</summary>
    public void Forget(IPAddress address) => _overlay.Invoke(() => _owners.Remove(UniqueLocalPrefix.ToKey(address)));

    private bool InRange(uint address) => Range.Contains(FromUInt(address));

    /// <summary>The source and destination of an IPv4 packet whose header holds together.</summary>
    public static bool TryAddresses(ReadOnlySpan<byte> packet, out uint source, out uint destination)
    {
        source = destination = 0;
        if (packet.Length < 20 || packet[0] >> 4 != 4) return false;
        int headerLength = (packet[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerLength < 20 || total < headerLength || total > packet.Length) return false;
        source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
        destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        return true;
    }

    public static uint ToUInt(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        return address.TryWriteBytes(b, out int n) && n == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : 0;
    }

    public static IPAddress FromUInt(uint address)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, address);
        return new IPAddress(b);
    }

    /// <summary>The n-th candidate address for a node: a hash of its ring address and n, inside the range, never the network or broadcast address.</summary>
    public static IPAddress Candidate(IPNetwork range, RingAddress node, int n)
    {
        uint network = ToUInt(range.BaseAddress);
        uint size = range.PrefixLength >= 31 ? 1u : (1u << (32 - range.PrefixLength)) - 2;
        Span<byte> input = stackalloc byte[RingAddress.Size + 4];
        node.Write(input);
        BinaryPrimitives.WriteInt32BigEndian(input[RingAddress.Size..], n);
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(input, hash);
        uint offset = BinaryPrimitives.ReadUInt32BigEndian(hash) % size;
        return FromUInt(network + 1 + offset);
    }

    /// <summary>
    /// An ICMP "destination unreachable, fragmentation needed" (type 3, code 4, RFC 1191) for <paramref name="packet"/>,
    /// from its destination to its source, with <paramref name="mtu"/> as the next-hop MTU: what a router on a
    /// narrower path sends, so that the sender's kernel lowers its path MTU for that destination.
    /// </summary>
    public static byte[] FragmentationNeeded(ReadOnlySpan<byte> packet, int mtu)
    {
        int headerLength = (packet[0] & 0x0F) * 4;
        int quoted = Math.Min(packet.Length, headerLength + 8);
        var icmp = new byte[20 + 8 + quoted];
        icmp[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), (ushort)icmp.Length);
        icmp[8] = 64;
        icmp[9] = 1; // ICMP
        packet.Slice(16, 4).CopyTo(icmp.AsSpan(12)); // from the packet's destination
        packet.Slice(12, 4).CopyTo(icmp.AsSpan(16)); // to its source
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(10), Checksum(icmp.AsSpan(0, 20)));
        icmp[20] = 3;
        icmp[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(26), (ushort)mtu);
        packet[..quoted].CopyTo(icmp.AsSpan(28));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(22), Checksum(icmp.AsSpan(20)));
        return icmp;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/>.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)(data[^1] << 8);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    public static byte[] NameValue(string name) => Encoding.UTF8.GetBytes(name);

    public void Dispose()
    {
        _stopped = true;
        _tun?.Dispose();
        _reader?.Join(TimeSpan.FromSeconds(2));
    }
}
