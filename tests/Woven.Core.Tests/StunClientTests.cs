using System.Net;
using Woven.Nat;
using Woven.Testing;
using Woven.Transport;

namespace Woven.Core.Tests;

public class StunClientTests
{
    private static readonly IPEndPoint Server = IPEndPoint.Parse("192.0.2.10:3478");
    private static readonly IPEndPoint Me = IPEndPoint.Parse("203.0.113.5:40001");

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>Drives a client with no answers, returning the times at which requests went out and the failure time.</summary>
    private static (List<TimeSpan> Sends, TimeSpan FailedAt) RunToTimeout(StunClient client)
    {
        var sends = new List<TimeSpan> { TimeSpan.Zero };
        client.Start(TimeSpan.Zero);
        while (true)
        {
            var due = client.NextTimeout!.Value;
            // Just before the deadline nothing happens.
            Assert.Equal(StunTimeoutAction.None, client.OnTimeout(due - TimeSpan.FromTicks(1)));
            switch (client.OnTimeout(due))
            {
                case StunTimeoutAction.Retransmit: sends.Add(due); break;
                case StunTimeoutAction.Failed: return (sends, due);
                default: throw new InvalidOperationException("a due timeout did nothing");
            }
        }
    }

    private static byte[] AnswerFor(StunClient client, IPEndPoint mapped)
    {
        var responder = new StunResponder();
        var buffer = new byte[responder.MaxResponseSize];
        Assert.Equal(StunResponderOutcome.Success, responder.Respond(client.Request, mapped, buffer, out int n));
        return buffer[..n];
    }

    [Fact]
    public void Default_schedule_is_rfc8489s_example()
    {
        var client = new StunClient(Server);
        var (sends, failedAt) = RunToTimeout(client);
        Assert.Equal(new[] { 0, 500, 1500, 3500, 7500, 15500, 31500 }.Select(ms => Ms(ms)), sends);
        Assert.Equal(Ms(39500), failedAt);
        Assert.Equal(StunClientState.Completed, client.State);
        Assert.Null(client.NextTimeout);
        Assert.Equal(StunBindingStatus.Timeout, client.Result!.Status);
        Assert.Equal(7, client.Result.RequestsSent);
        Assert.Equal(Ms(39500), client.Result.Elapsed);
        Assert.Null(client.Result.MappedAddress);
        Assert.Equal(StunTimeoutAction.None, client.OnTimeout(Ms(100_000)));
    }

    [Fact]
    public void Schedule_is_configurable_for_quick_probes()
    {
        var quick = new StunClientOptions { InitialRto = Ms(100), MaxRequests = 3, FinalTimeoutMultiplier = 4 };
        var (sends, failedAt) = RunToTimeout(new StunClient(Server, options: quick));
        Assert.Equal(new[] { Ms(0), Ms(100), Ms(300) }, sends);
        Assert.Equal(Ms(700), failedAt);

        var capped = new StunClientOptions { InitialRto = Ms(250), MaxRequests = 6, FinalTimeoutMultiplier = 2, MaxRto = Ms(600) };
        (sends, failedAt) = RunToTimeout(new StunClient(Server, options: capped));
        Assert.Equal(new[] { 0, 250, 750, 1350, 1950, 2550 }.Select(ms => Ms(ms)), sends);
        Assert.Equal(Ms(3050), failedAt);

        var single = new StunClientOptions { MaxRequests = 1, FinalTimeoutMultiplier = 3 };
        (sends, failedAt) = RunToTimeout(new StunClient(Server, options: single));
        Assert.Equal(new[] { Ms(0) }, sends);
        Assert.Equal(Ms(1500), failedAt);
    }

    [Fact]
    public void Late_timeouts_send_once_and_count_from_the_actual_send()
    {
        var client = new StunClient(Server);
        client.Start(Ms(1000));
        Assert.Equal(Ms(1500), client.NextTimeout);
        Assert.Equal(StunTimeoutAction.Retransmit, client.OnTimeout(Ms(4000))); // very late
        Assert.Equal(Ms(5000), client.NextTimeout);                             // 4000 + 2 × 500
        Assert.Equal(StunTimeoutAction.None, client.OnTimeout(Ms(4999)));
        Assert.Equal(2, client.RequestsSent);
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new StunClient(Server, options: new StunClientOptions { MaxRequests = 0 }));
        Assert.Throws<ArgumentException>(() => new StunClient(Server, options: new StunClientOptions { InitialRto = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new StunClient(Server, options: new StunClientOptions { FinalTimeoutMultiplier = 0 }));
        Assert.Throws<ArgumentException>(() => new StunClient(Server, options: new StunClientOptions { MaxRto = Ms(10) }));
        Assert.Empty(StunClientOptions.Default.Validate());
    }

    [Fact]
    public void Request_is_a_binding_request_with_a_fresh_id_repeated_verbatim()
    {
        var a = new StunClient(Server);
        var b = new StunClient(Server);
        Assert.NotEqual(a.TransactionId, b.TransactionId);
        var first = a.Start(TimeSpan.Zero).ToArray();
        Assert.True(StunMessage.TryRead(first, out var m));
        Assert.Equal(StunClass.Request, m.Class);
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.Equal(a.TransactionId, m.TransactionId);
        Assert.True(m.Fingerprint);
        Assert.Null(m.ChangeRequest);
        Assert.Null(m.Software);
        Assert.Equal(28, first.Length);
        Assert.Equal(StunTimeoutAction.Retransmit, a.OnTimeout(Ms(500)));
        Assert.Equal(first, a.Request.ToArray());
        Assert.Throws<InvalidOperationException>(() => a.Start(Ms(600)));
    }

    [Fact]
    public void Change_request_and_response_port_go_into_the_request()
    {
        var client = new StunClient(Server, StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort, 4242,
            new StunClientOptions { Software = "woven", Fingerprint = false });
        Assert.True(StunMessage.TryRead(client.Request, out var m));
        Assert.Equal(StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort, m.ChangeRequest);
        Assert.Equal((ushort)4242, m.ResponsePort);
        Assert.Equal("woven", m.Software);
        Assert.False(m.Fingerprint);
    }

    [Fact]
    public void Success_response_gives_the_mapped_address()
    {
        var client = new StunClient(Server);
        client.Start(Ms(10));
        var result = client.OnDatagram(AnswerFor(client, Me), Server, Ms(35));
        Assert.NotNull(result);
        Assert.True(result.IsSuccess);
        Assert.Equal(Me, result.MappedAddress);
        Assert.Equal(Server, result.ResponseSource);
        Assert.Equal("woven", result.Response!.Software);
        Assert.Equal(Ms(25), result.RoundTripTime);
        Assert.Equal(1, result.RequestsSent);
        Assert.Same(result, client.Result);
        Assert.Null(client.NextTimeout);
        // Later datagrams (a duplicate answer) are not for a completed transaction.
        Assert.Null(client.OnDatagram(AnswerFor(client, Me), Server, Ms(40)));
    }

    [Fact]
    public void Rtt_is_only_reported_when_unambiguous()
    {
        var client = new StunClient(Server);
        client.Start(TimeSpan.Zero);
        client.OnTimeout(Ms(500));
        var result = client.OnDatagram(AnswerFor(client, Me), Server, Ms(520))!;
        Assert.Equal(2, result.RequestsSent);
        Assert.Null(result.RoundTripTime);
        Assert.Equal(Ms(520), result.Elapsed);
    }

    [Fact]
    public void Mapped_address_falls_back_to_MAPPED_ADDRESS_and_reads_rfc5780_attributes()
    {
        var client = new StunClient(Server);
        client.Start(TimeSpan.Zero);
        var answer = new StunMessage
        {
            Class = StunClass.SuccessResponse,
            TransactionId = client.TransactionId,
            MappedAddress = Me,
            ResponseOrigin = IPEndPoint.Parse("192.0.2.10:3478"),
            OtherAddress = IPEndPoint.Parse("192.0.2.11:3479"),
        }.ToArray();
        // The response comes from the alternate address, as it would after CHANGE-REQUEST: matched by transaction id.
        var from = IPEndPoint.Parse("192.0.2.11:3479");
        var result = client.OnDatagram(answer, from, Ms(5))!;
        Assert.Equal(Me, result.MappedAddress);
        Assert.Equal(IPEndPoint.Parse("192.0.2.10:3478"), result.ResponseOrigin);
        Assert.Equal(IPEndPoint.Parse("192.0.2.11:3479"), result.OtherAddress);
        Assert.Equal(from, result.ResponseSource);
    }

    [Fact]
    public void Xor_mapped_address_wins_over_mapped_address()
    {
        var client = new StunClient(Server);
        client.Start(TimeSpan.Zero);
        var answer = new StunMessage
        {
            Class = StunClass.SuccessResponse, TransactionId = client.TransactionId,
            MappedAddress = IPEndPoint.Parse("10.0.0.1:1"),   // what an ALG might rewrite
            XorMappedAddress = Me,
        }.ToArray();
        Assert.Equal(Me, client.OnDatagram(answer, Server, Ms(1))!.MappedAddress);
    }

    [Fact]
    public void Error_response_completes_with_its_code()
    {
        var client = new StunClient(Server, StunChangeRequest.ChangeIp);
        client.Start(TimeSpan.Zero);
        var responder = new StunResponder();
        var buffer = new byte[responder.MaxResponseSize];
        Assert.Equal(StunResponderOutcome.UnknownAttribute, responder.Respond(client.Request, Me, buffer, out int n));
        var result = client.OnDatagram(buffer.AsSpan(0, n), Server, Ms(3))!;
        Assert.Equal(StunBindingStatus.ErrorResponse, result.Status);
        Assert.Equal(420, result.Error!.Value.Code);
        Assert.Equal(new ushort[] { StunAttributeType.ChangeRequest }, result.Response!.UnknownAttributes);
        Assert.Null(result.MappedAddress);
        Assert.Equal("420 Unknown Attribute", result.Detail);
    }

    [Fact]
    public void Unusable_responses_fail_the_transaction()
    {
        var client = new StunClient(Server);
        client.Start(TimeSpan.Zero);
        var noAddress = new StunMessage { Class = StunClass.SuccessResponse, TransactionId = client.TransactionId }.ToArray();
        Assert.Equal(StunBindingStatus.InvalidResponse, client.OnDatagram(noAddress, Server, Ms(1))!.Status);

        client = new StunClient(Server);
        client.Start(TimeSpan.Zero);
        var noCode = new StunMessage { Class = StunClass.ErrorResponse, TransactionId = client.TransactionId }.ToArray();
        Assert.Equal(StunBindingStatus.InvalidResponse, client.OnDatagram(noCode, Server, Ms(1))!.Status);

        client = new StunClient(Server);
        client.Start(TimeSpan.Zero);
        var withUnknown = new StunMessage { Class = StunClass.SuccessResponse, TransactionId = client.TransactionId, XorMappedAddress = Me }.ToArray();
        withUnknown = [.. withUnknown, 0x00, 0x55, 0x00, 0x00];
        withUnknown[3] += 4;
        var result = client.OnDatagram(withUnknown, Server, Ms(1))!;
        Assert.Equal(StunBindingStatus.InvalidResponse, result.Status);
        Assert.Contains("0x0055", result.Detail);
    }

    [Fact]
    public void Other_datagrams_are_ignored_and_the_transaction_keeps_waiting()
    {
        var client = new StunClient(Server);
        Assert.Null(client.OnDatagram(AnswerFor(client, Me), Server, TimeSpan.Zero)); // not started
        client.Start(TimeSpan.Zero);
        var other = new StunClient(Server);
        Assert.Null(client.OnDatagram(AnswerFor(other, Me), Server, Ms(1)));          // another transaction
        Assert.Null(client.OnDatagram(client.Request, Server, Ms(1)));                 // our own request echoed
        Assert.Null(client.OnDatagram([0xD1, 0x03, 1, 2, 3], Server, Ms(1)));         // overlay traffic
        var corrupt = AnswerFor(client, Me);
        corrupt[^1] ^= 1;                                                             // bad FINGERPRINT: discarded
        Assert.Null(client.OnDatagram(corrupt, Server, Ms(1)));
        var indication = new StunMessage { Class = StunClass.Indication, TransactionId = client.TransactionId }.ToArray();
        Assert.Null(client.OnDatagram(indication, Server, Ms(1)));
        Assert.Equal(StunClientState.Waiting, client.State);
        Assert.True(client.OnDatagram(AnswerFor(client, Me), Server, Ms(2))!.IsSuccess);
    }

    [Fact]
    public void The_rfc5769_ipv4_response_completes_a_transaction_with_its_id()
    {
        var client = new StunClient(Server, transactionId: StunTransactionId.Read(Rfc5769.TransactionIdBytes));
        client.Start(TimeSpan.Zero);
        var result = client.OnDatagram(Rfc5769.ResponseIPv4, Server, Ms(1))!;
        Assert.True(result.IsSuccess);
        Assert.Equal(Rfc5769.MappedIPv4, result.MappedAddress);
        Assert.Equal("test vector", result.Response!.Software);
    }

    // ---- StunRequester (async, over a send function) ----

    private sealed class Sent
    {
        public List<(TimeSpan At, IPEndPoint To, byte[] Bytes)> Items { get; } = [];
    }

    private static (StunRequester Requester, Sent Sent) NewRequester(ManualTimeProvider time, StunClientOptions? options = null)
    {
        var sent = new Sent();
        long epoch = time.GetTimestamp();
        var requester = new StunRequester((to, bytes) => sent.Items.Add((time.GetElapsedTime(epoch), to, bytes.ToArray())), time, options);
        return (requester, sent);
    }

    [Fact]
    public async Task Requester_retransmits_on_the_clock_and_times_out()
    {
        var time = new ManualTimeProvider();
        var (requester, sent) = NewRequester(time);
        var task = requester.BindingAsync(Server);
        Assert.Single(sent.Items);
        Assert.Equal(1, requester.PendingCount);
        for (int i = 0; i < 400; i++) time.Advance(Ms(100));
        Assert.True(task.IsCompleted);
        var result = await task;
        Assert.Equal(StunBindingStatus.Timeout, result.Status);
        Assert.Equal(new[] { 0, 500, 1500, 3500, 7500, 15500, 31500 }.Select(ms => Ms(ms)), sent.Items.Select(s => s.At));
        Assert.All(sent.Items, s => Assert.Equal(Server, s.To));
        Assert.All(sent.Items, s => Assert.Equal(sent.Items[0].Bytes, s.Bytes));
        Assert.Equal(0, requester.PendingCount);
    }

    [Fact]
    public async Task Requester_completes_on_delivery_and_stops_retransmitting()
    {
        var time = new ManualTimeProvider();
        var (requester, sent) = NewRequester(time);
        var task = requester.BindingAsync(Server);
        time.Advance(Ms(600)); // one retransmission
        Assert.Equal(2, sent.Items.Count);
        var responder = new StunResponder();
        var buffer = new byte[responder.MaxResponseSize];
        Assert.True(responder.TryRespond(sent.Items[0].Bytes, Me, buffer, out int n));
        Assert.False(requester.Deliver(Server, sent.Items[0].Bytes));             // a request is not an answer
        Assert.False(requester.Deliver(Server, [0xD1, 0x03, 0, 0]));               // nor is overlay traffic
        Assert.True(requester.Deliver(Server, buffer.AsSpan(0, n)));
        var result = await task;
        Assert.True(result.IsSuccess);
        Assert.Equal(Me, result.MappedAddress);
        Assert.Equal(2, result.RequestsSent);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, sent.Items.Count);
        Assert.False(requester.Deliver(Server, buffer.AsSpan(0, n)));              // duplicate: nothing pending
    }

    [Fact]
    public async Task Requester_runs_concurrent_transactions_and_honours_per_query_options()
    {
        var time = new ManualTimeProvider();
        var (requester, sent) = NewRequester(time);
        var quick = new StunClientOptions { InitialRto = Ms(50), MaxRequests = 2, FinalTimeoutMultiplier = 2 };
        var a = requester.BindingAsync(Server, options: quick);
        var b = requester.BindingAsync(IPEndPoint.Parse("192.0.2.20:3478"), StunChangeRequest.ChangePort);
        Assert.Equal(2, requester.PendingCount);
        time.Advance(Ms(200));
        Assert.Equal(StunBindingStatus.Timeout, (await a).Status);
        Assert.False(b.IsCompleted);
        Assert.True(StunMessage.TryRead(sent.Items[1].Bytes, out var second));
        Assert.Equal(StunChangeRequest.ChangePort, second.ChangeRequest);
        requester.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => b);
        Assert.Throws<ObjectDisposedException>(() => { _ = requester.BindingAsync(Server); }); // thrown synchronously
    }

    [Fact]
    public async Task Requester_honours_cancellation()
    {
        var time = new ManualTimeProvider();
        var (requester, sent) = NewRequester(time);
        using var cts = new CancellationTokenSource();
        var task = requester.BindingAsync(Server, cancellationToken: cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, requester.PendingCount);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(sent.Items);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => requester.BindingAsync(Server, cancellationToken: cts.Token));
    }

    /// <summary>A socket whose every send is answered at once by a <see cref="StunResponder"/> (synchronously, re-entrantly).</summary>
    private sealed class LoopbackSocket(IPEndPoint local, IPEndPoint seenAs, bool answer) : IDatagramSocket
    {
        private readonly StunResponder _responder = new();
        private DatagramHandler? _handler;

        public IPEndPoint LocalEndPoint { get; } = local;

        public int Sends { get; private set; }

        public bool Disposed { get; private set; }

        public void Start(DatagramHandler handler) => _handler = handler;

        public void Send(IPEndPoint to, ReadOnlySpan<byte> datagram)
        {
            Sends++;
            if (!answer) return;
            var buffer = new byte[_responder.MaxResponseSize];
            if (_responder.TryRespond(datagram, seenAs, buffer, out int n)) _handler!(to, buffer.AsSpan(0, n));
            _handler!(to, [0xD1, 0x01]); // and some unrelated traffic
        }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task Socket_client_answers_through_its_own_socket()
    {
        var time = new ManualTimeProvider();
        var socket = new LoopbackSocket(IPEndPoint.Parse("0.0.0.0:5000"), Me, answer: true);
        using (var client = new StunSocketClient(socket, time))
        {
            Assert.Equal(5000, client.LocalEndPoint.Port);
            var result = await client.BindingAsync(Server);
            Assert.True(result.IsSuccess);
            Assert.Equal(Me, result.MappedAddress);
            Assert.Equal(TimeSpan.Zero, result.RoundTripTime);
            Assert.Equal(1, client.IgnoredDatagrams);
            // RFC 5780 probes from the same port: a single-address responder refuses CHANGE-REQUEST.
            var change = await client.BindingAsync(Server, StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort);
            Assert.Equal(StunBindingStatus.ErrorResponse, change.Status);
            Assert.Equal(420, change.Error!.Value.Code);
        }
        Assert.True(socket.Disposed);
    }

    [Fact]
    public async Task Socket_client_times_out_on_the_fake_clock()
    {
        var time = new ManualTimeProvider();
        var socket = new LoopbackSocket(IPEndPoint.Parse("0.0.0.0:5001"), Me, answer: false);
        using var client = new StunSocketClient(socket, time, new StunClientOptions { InitialRto = Ms(100), MaxRequests = 3, FinalTimeoutMultiplier = 4 });
        var task = client.BindingAsync(Server);
        time.Advance(Ms(699));
        Assert.False(task.IsCompleted);
        time.Advance(Ms(1));
        Assert.Equal(StunBindingStatus.Timeout, (await task).Status);
        Assert.Equal(3, socket.Sends);
    }
}
