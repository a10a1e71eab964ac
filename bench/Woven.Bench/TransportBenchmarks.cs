using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Woven.Crypto.Noise;

namespace Woven.Bench;

/// <summary>
/// Sealing and opening 1,400-byte packets (a typical tunnel MTU payload) with a 16-byte header as associated data.
/// Each invocation handles a batch of packets, so the reported time is per packet. Open needs fresh counters, so
/// every iteration gets a new receiving session (outside the timing) and opens <see cref="OpenBatch"/> packets
/// that were sealed once in the global setup (11 MB: they come from memory, not cache, as received packets do).
/// </summary>
public class TransportBenchmarks : IDisposable
{
    public const int PacketSize = 1400;
    public const int Batch = 1024;
    public const int OpenBatch = 8192;

    private readonly byte[] _keyAB = RandomNumberGenerator.GetBytes(TransportSession.KeySize);
    private readonly byte[] _keyBA = RandomNumberGenerator.GetBytes(TransportSession.KeySize);
    private readonly byte[] _header = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(PacketSize);
    private readonly byte[] _output = new byte[PacketSize + TransportSession.TagSize];
    private readonly byte[] _opened = new byte[PacketSize];
    private readonly byte[][] _sealed = new byte[OpenBatch][];
    private readonly ulong[] _counters = new ulong[OpenBatch];
    // Long jobs must not run into the 180 s expiry of the default limits.
    private static readonly TransportLimits Limits = new() { RekeyAfterTime = TimeSpan.FromDays(1), RejectAfterTime = TimeSpan.FromDays(1) };
    private byte[] _forged = [];
    private TransportSession? _sender;
    private TransportSession? _receiver;
    private TransportSession? _forgeryReceiver;

    [GlobalSetup]
    public void Setup()
    {
        _sender = new TransportSession(_keyAB, _keyBA, TimeProvider.System, Limits);
        using var batchSender = new TransportSession(_keyAB, _keyBA, TimeProvider.System, Limits);
        for (int i = 0; i < OpenBatch; i++)
        {
            _sealed[i] = new byte[PacketSize + TransportSession.TagSize];
            batchSender.TrySeal(_plaintext, _header, _sealed[i], out _counters[i], out _);
        }
        _forged = (byte[])_sealed[0].Clone();
        _forged[^1] ^= 1;
        _forgeryReceiver = new TransportSession(_keyBA, _keyAB, TimeProvider.System, Limits);
    }

    [IterationSetup(Target = nameof(Open))]
    public void NewReceiver()
    {
        _receiver?.Dispose();
        _receiver = new TransportSession(_keyBA, _keyAB, TimeProvider.System, Limits);
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Seal 1400 B")]
    public int Seal()
    {
        int ok = 0;
        for (int i = 0; i < Batch; i++)
        {
            if (_sender!.TrySeal(_plaintext, _header, _output, out _, out _)) ok++;
        }
        if (ok != Batch) throw new InvalidOperationException($"only {ok} of {Batch} packets sealed");
        return ok;
    }

    [Benchmark(OperationsPerInvoke = OpenBatch, Description = "Open 1400 B")]
    public int Open()
    {
        int ok = 0;
        for (int i = 0; i < OpenBatch; i++)
        {
            if (_receiver!.TryOpen(_counters[i], _sealed[i], _header, _opened, out _)) ok++;
        }
        if (ok != OpenBatch) throw new InvalidOperationException($"only {ok} of {OpenBatch} packets opened");
        return ok;
    }

    /// <summary>A forged tag: the cost of turning away garbage (the platform AEAD throws on a bad tag).</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Open forged 1400 B")]
    public int OpenForged()
    {
        int ok = 0;
        for (int i = 0; i < Batch; i++)
        {
            if (_forgeryReceiver!.TryOpen(_counters[0], _forged, _header, _opened, out _)) ok++;
        }
        return ok;
    }

    /// <summary>All cores sealing on one session at once: the aggregate rate, per packet.</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Seal 1400 B, all cores")]
    public void SealAllCores()
    {
        int threads = Environment.ProcessorCount;
        Parallel.For(0, threads, t =>
        {
            var output = new byte[PacketSize + TransportSession.TagSize];
            for (int i = t; i < Batch; i += threads) _sender!.TrySeal(_plaintext, _header, output, out _, out _);
        });
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _sender?.Dispose();
        _receiver?.Dispose();
        _forgeryReceiver?.Dispose();
        GC.SuppressFinalize(this);
    }
}
