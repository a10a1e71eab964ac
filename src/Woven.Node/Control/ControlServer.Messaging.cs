using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Woven.Addressing;
using Woven.Messaging;

namespace Woven.Node.Control;

public sealed partial class ControlServer
{
    /// <summary>One JSON document per line, for the streams (listen, presence watch).</summary>
    private static readonly JsonSerializerOptions Lines = new(ControlJson.Options) { WriteIndented = false };

    /// <summary>Messages a listener may fall behind by before the newest are dropped (and counted in its last line).</summary>
    private const int ListenBacklog = 8192;

    /// <summary>Peer messaging and presence: /v1/msg/send, /v1/msg/request, /v1/msg/listen, /v1/msg/status, /v1/msg/bench, /v1/presence. See docs/api.md.</summary>
    private void MapMessaging(WebApplication app)
    {
        app.MapPost("/v1/msg/send", async (HttpRequest http) =>
        {
            var (target, error) = await ReadMessageAsync(http);
            if (error is not null) return error;
            var (request, peer, data, timeout) = target!.Value;
            int count = request.Count ?? 1;
            if (count is < 1 or > 1_000_000) return Error(400, $"count: {count} is outside 1 to 1000000");
            var watch = Stopwatch.StartNew();
            bool delivered;
            try
            {
                var messaging = _node.Messaging!;
                if (count == 1)
                {
                    delivered = await messaging.SendAsync(peer, request.Topic!, data).WaitAsync(timeout);
                }
                else
                {
                    var sends = Enumerable.Range(0, count).Select(i =>
                        messaging.SendAsync(peer, request.Topic!, request.Text is null ? data : Encoding.UTF8.GetBytes($"{request.Text} {i}"))).ToList();
                    delivered = (await Task.WhenAll(sends).WaitAsync(timeout)).All(ok => ok);
                }
            }
            catch (TimeoutException)
            {
                return Error(504, $"timeout: {peer.ToShortString()} did not acknowledge within {timeout.TotalSeconds:0.#} s (the message stays queued and is retried)");
            }
            if (!delivered) return Error(503, $"peer: {peer.ToShortString()} did not acknowledge after every retry, or too much is queued for it");
            return Results.Json(new MessageSentDocument(request.Peer!, peer.ToString(), request.Topic!, data.Length, true, Math.Round(watch.Elapsed.TotalMilliseconds, 3), count), ControlJson.Options);
        });
        app.MapPost("/v1/msg/request", async (HttpRequest http) =>
        {
            var (target, error) = await ReadMessageAsync(http);
            if (error is not null) return error;
            var (request, peer, data, timeout) = target!.Value;
            var response = await _node.Messaging!.RequestAsync(peer, request.Topic!, data, timeout);
            if (response is null) return Error(504, $"timeout: no response from {peer.ToShortString()} on {request.Topic} within {timeout.TotalSeconds:0.#} s");
            return Results.Json(Document(response, null), ControlJson.Options);
        });
        app.MapGet("/v1/msg/listen", ListenAsync);
        app.MapGet("/v1/msg/status", () =>
        {
            var messaging = _node.Messaging!;
            var (counters, sessions) = messaging.Status();
            return Results.Json(new
            {
                address = messaging.Address.ToString(),
                epoch = messaging.Epoch.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
                counters,
                sessions = sessions.Select(s => new { peer = s.Peer.ToString(), in_flight = s.InFlight, queued_messages = s.QueuedMessages, queued_bytes = s.QueuedBytes, srtt_ms = s.SrttMs, rto_ms = s.RtoMs, next_sequence = s.NextSequence, expected = s.Expected }),
            }, ControlJson.Options);
        });
        app.MapPost("/v1/msg/bench", BenchAsync);
        app.MapGet("/v1/presence", async (HttpContext http, bool? watch) =>
        {
            var messaging = _node.Messaging!;
            if (watch != true)
            {
                var members = messaging.Presence().Select(Document).ToList();
                await Results.Json(new PresenceDocument(messaging.Address.ToString(), members), ControlJson.Options).ExecuteAsync(http);
                return;
            }
            var changes = Channel.CreateBounded<PresenceEntry>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
            void OnChange(PresenceEntry e) => changes.Writer.TryWrite(e);
            messaging.PresenceChanged += OnChange;
            try
            {
                http.Response.ContentType = "application/x-ndjson";
                foreach (var e in messaging.Presence()) await WriteLineAsync(http, Document(e));
                await foreach (var e in changes.Reader.ReadAllAsync(http.RequestAborted)) await WriteLineAsync(http, Document(e));
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                messaging.PresenceChanged -= OnChange;
            }
        });
    }

    private static PresenceMemberDocument Document(PresenceEntry e) => new(e.Address.ToString(), e.Name, e.Online, e.LastSeen, e.Direct, e.Self);

    private MessageDocument Document(ReceivedMessage m, bool? answered)
    {
        string? text = null;
        try
        {
            text = new UTF8Encoding(false, true).GetString(m.Data);
        }
        catch (DecoderFallbackException)
        {
        }
        string kind = m.Kind switch { MessageKind.Request => "request", MessageKind.Response => "response", _ => "message" };
        return new MessageDocument(m.From.ToString(), _node.Messaging!.NameOf(m.From), m.Topic, kind, m.Kind == MessageKind.Message ? null : m.RequestId,
            m.Data.Length, text, Convert.ToBase64String(m.Data), m.Received, answered);
    }

    private static async Task WriteLineAsync<T>(HttpContext http, T document)
    {
        await JsonSerializer.SerializeAsync(http.Response.Body, document, Lines, http.RequestAborted);
        await http.Response.Body.WriteAsync("\n"u8.ToArray(), http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    /// <summary>GET /v1/msg/listen[?topic=T][&amp;echo=true]: a first line once subscribed, then one line per message; echo answers requests with their own data.</summary>
    private async Task ListenAsync(HttpContext http, string? topic, bool? echo)
    {
        if (topic is not null && !MessageFrame.IsValidTopic(topic, out var invalid))
        {
            await Error(400, $"topic: {invalid}").ExecuteAsync(http);
            return;
        }
        var messaging = _node.Messaging!;
        var channel = Channel.CreateBounded<(ReceivedMessage Message, bool? Answered)>(new BoundedChannelOptions(ListenBacklog) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        long dropped = 0;
        using var subscription = messaging.Subscribe(topic, m =>
        {
            bool? answered = null;
            if (echo == true && m.Kind == MessageKind.Request) answered = messaging.Reply(m, m.Data);
            if (!channel.Writer.TryWrite((m, answered))) Interlocked.Increment(ref dropped);
        });
        http.Response.ContentType = "application/x-ndjson";
        try
        {
            await WriteLineAsync(http, new { listening = topic ?? "*", address = messaging.Address.ToString(), echo = echo == true });
            await foreach (var (m, answered) in channel.Reader.ReadAllAsync(http.RequestAborted))
            {
                await WriteLineAsync(http, Document(m, answered));
                long lost = Interlocked.Exchange(ref dropped, 0);
                if (lost > 0) await WriteLineAsync(http, new { dropped = lost, reason = $"the listener fell more than {ListenBacklog} messages behind" });
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Reads and checks a send or request body; resolves its peer. Either the parts or an error result.</summary>
    private async Task<((MessageRequest Request, RingAddress Peer, byte[] Data, TimeSpan Timeout)? Target, IResult? Error)> ReadMessageAsync(HttpRequest http)
    {
        MessageRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<MessageRequest>(http.Body, ControlJson.Options);
        }
        catch (JsonException e)
        {
            return (null, Error(400, $"body: not a JSON object of peer, topic and text or data_base64 ({e.Message})"));
        }
        if (request is null || string.IsNullOrWhiteSpace(request.Peer)) return (null, Error(400, "peer: give a name, a virtual address or a ring address"));
        if (request.Topic is null) return (null, Error(400, "topic: missing"));
        if (!MessageFrame.IsValidTopic(request.Topic, out var topicError)) return (null, Error(400, $"topic: {topicError}"));
        if ((request.Text is null) == (request.DataBase64 is null)) return (null, Error(400, "text, data_base64: give exactly one"));
        int timeoutMs = request.TimeoutMs ?? 10_000;
        if (timeoutMs is < 1 or > 600_000) return (null, Error(400, $"timeout_ms: {timeoutMs} is outside 1 to 600000"));
        byte[] data;
        try
        {
            data = request.Text is not null ? Encoding.UTF8.GetBytes(request.Text) : Convert.FromBase64String(request.DataBase64!);
        }
        catch (FormatException)
        {
            return (null, Error(400, "data_base64: not base64"));
        }
        var (peer, error) = await _node.ResolvePeerAsync(request.Peer.Trim());
        if (peer is not { } address) return (null, Error(404, $"peer: {error}"));
        var check = _node.Messaging!.Check(address, request.Topic, data.Length);
        if (check is not null) return (null, Error(400, check));
        return ((request, address, data, TimeSpan.FromMilliseconds(timeoutMs)), null);
    }

    /// <summary>POST /v1/msg/bench: first messages one at a time (each waits for its acknowledgement), then a stream of them.</summary>
    private async Task<IResult> BenchAsync(HttpRequest http)
    {
        MessageBenchRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<MessageBenchRequest>(http.Body, ControlJson.Options);
        }
        catch (JsonException e)
        {
            return Error(400, $"body: not a JSON object of peer, count and size ({e.Message})");
        }
        if (request is null || string.IsNullOrWhiteSpace(request.Peer)) return Error(400, "peer: give a name, a virtual address or a ring address");
        int count = request.Count ?? 10_000, size = request.Size ?? 64;
        if (count is < 10 or > 1_000_000) return Error(400, $"count: {count} is outside 10 to 1000000");
        if (size is < 0 or > MessageService.MaxMessageSize) return Error(400, $"size: {size} is outside 0 to {MessageService.MaxMessageSize}");
        string topic = request.Topic ?? "bench";
        var (resolved, error) = await _node.ResolvePeerAsync(request.Peer.Trim());
        if (resolved is not { } peer) return Error(404, $"peer: {error}");
        var messaging = _node.Messaging!;
        var check = messaging.Check(peer, topic, size);
        if (check is not null) return Error(400, check);
        var data = new byte[size];
        long retransmitsBefore = messaging.Status().Counters.Retransmits;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        // Latency: one message at a time, send to acknowledgement.
        int latencyCount = Math.Min(count, 2000);
        var rtts = new List<double>(latencyCount);
        for (int i = 0; i < latencyCount + 10; i++)
        {
            long start = Stopwatch.GetTimestamp();
            if (!await messaging.SendAsync(peer, topic, data).WaitAsync(deadline.Token)) return Error(503, $"peer: {peer.ToShortString()} stopped acknowledging");
            if (i >= 10) rtts.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        rtts.Sort();

        // Rate: a stream, at most 4096 messages outstanding in this process (the window limits what is on the wire).
        using var outstanding = new SemaphoreSlim(4096);
        int failed = 0;
        var all = new List<Task>(count);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await outstanding.WaitAsync(deadline.Token);
            all.Add(messaging.SendAsync(peer, topic, data).ContinueWith(t =>
            {
                if (!t.Result) Interlocked.Increment(ref failed);
                outstanding.Release();
            }, TaskScheduler.Default));
        }
        await Task.WhenAll(all).WaitAsync(deadline.Token);
        double seconds = watch.Elapsed.TotalSeconds;
        if (failed > 0) return Error(503, $"peer: {failed} of {count} messages were not acknowledged");
        double Percentile(double p) => rtts[Math.Min(rtts.Count - 1, (int)(p * rtts.Count))];
        return Results.Json(new MessageBenchDocument(request.Peer, peer.ToString(), size, rtts.Count, Math.Round(Percentile(0.5), 4), Math.Round(Percentile(0.99), 4),
            Math.Round(rtts.Average(), 4), count, Math.Round(seconds, 3), Math.Round(count / seconds, 0), Math.Round(count * (double)size * 8 / seconds / 1e6, 2),
            messaging.Status().Counters.Retransmits - retransmitsBefore), ControlJson.Options);
    }
}
