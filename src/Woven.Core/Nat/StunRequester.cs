using System.Net;

namespace Woven.Nat;

/// <summary>Sends one datagram (for example <see cref="Transport.IDatagramSocket.Send"/>). Must not throw for network errors.</summary>
public delegate void StunSendHandler(IPEndPoint to, ReadOnlySpan<byte> datagram);

/// <summary>
/// Runs Binding transactions (<see cref="StunClient"/>) over a send function and a <see cref="TimeProvider"/>:
/// the owner of the socket passes every received STUN response to <see cref="Deliver"/>. This is how a node
/// queries STUN servers from its overlay port (same NAT mapping as its overlay traffic), and how
/// <see cref="StunSocketClient"/> works over a socket of its own. Thread-safe: one lock guards all transactions;
/// sends happen under it.
/// </summary>
public sealed class StunRequester : IDisposable
{
    private readonly StunSendHandler _send;
    private readonly TimeProvider _time;
    private readonly StunClientOptions _options;
    private readonly long _epoch;
    private readonly Lock _gate = new();
    private readonly Dictionary<StunTransactionId, Transaction> _pending = [];
    private bool _disposed;

    public StunRequester(StunSendHandler send, TimeProvider time, StunClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(time);
        options ??= StunClientOptions.Default;
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _send = send;
        _time = time;
        _options = options;
        _epoch = time.GetTimestamp();
    }

    /// <summary>Transactions still waiting for an answer.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate) return _pending.Count;
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_epoch);

    /// <summary>
    /// Sends a Binding request to <paramref name="server"/> and completes with the result, a timeout included
    /// (it does not throw for those). Cancellation cancels the task; disposal faults it with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public Task<StunBindingResult> BindingAsync(IPEndPoint server, StunChangeRequest? changeRequest = null,
        ushort? responsePort = null, StunClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<StunBindingResult>(cancellationToken);
        var client = new StunClient(server, changeRequest, responsePort, options ?? _options);
        var t = new Transaction(this, client);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // 2^-96 chance; a fresh id keeps the table consistent even then.
            while (_pending.ContainsKey(client.TransactionId))
            {
                client = new StunClient(server, changeRequest, responsePort, options ?? _options);
                t = new Transaction(this, client);
            }
            _pending.Add(client.TransactionId, t);
            var now = Now;
            _send(server, client.Start(now));
            // A send that answers synchronously (a loopback in tests) may already have completed the transaction.
            if (!t.Done)
                t.Timer = _time.CreateTimer(static s => ((Transaction)s!).OnTimer(), t, client.NextTimeout!.Value - now, Timeout.InfiniteTimeSpan);
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(static s => ((Transaction)s!).Cancel(), t);
            lock (_gate)
            {
                if (t.Done) registration.Dispose();
                else t.Registration = registration;
            }
        }
        return t.Task;
    }

    /// <summary>
    /// Offers a received datagram. True when it carried the transaction id of a pending transaction (consumed,
    /// even if that transaction discarded it as malformed); false for anything else, which the caller may handle.
    /// </summary>
    public bool Deliver(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!StunHeader.TryRead(datagram, out var header)) return false;
        if (header.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse)) return false;
        lock (_gate)
        {
            if (!_pending.TryGetValue(header.TransactionId, out var t)) return false;
            var result = t.Client.OnDatagram(datagram, from, Now);
            if (result is not null) t.CompleteLocked(result);
            return true;
        }
    }

    /// <summary>Stops every pending transaction (their tasks fault with <see cref="ObjectDisposedException"/>).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var t in _pending.Values.ToList()) t.FailLocked(new ObjectDisposedException(nameof(StunRequester)));
        }
    }

    private sealed class Transaction(StunRequester owner, StunClient client)
    {
        private readonly TaskCompletionSource<StunBindingResult> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StunClient Client { get; } = client;

        public ITimer? Timer { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public bool Done { get; private set; }

        public Task<StunBindingResult> Task => _tcs.Task;

        public void OnTimer()
        {
            lock (owner._gate)
            {
                if (Done) return;
                var now = owner.Now;
                switch (Client.OnTimeout(now))
                {
                    case StunTimeoutAction.Retransmit:
                        owner._send(Client.Server, Client.Request);
                        break;
                    case StunTimeoutAction.Failed:
                        CompleteLocked(Client.Result!);
                        return;
                }
                if (Done) return; // answered synchronously by the retransmission
                // Re-arm for the next retransmission, or for what is left if the timer fired a little early.
                var due = Client.NextTimeout!.Value - now;
                Timer?.Change(due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            }
        }

        public void Cancel()
        {
            lock (owner._gate)
            {
                if (Done) return;
                Finish();
                _tcs.TrySetCanceled();
            }
        }

        public void CompleteLocked(StunBindingResult result)
        {
            if (Done) return;
            Finish();
            _tcs.TrySetResult(result);
        }

        public void FailLocked(Exception error)
        {
            if (Done) return;
            Finish();
            _tcs.TrySetException(error);
        }

        private void Finish()
        {
            Done = true;
            owner._pending.Remove(Client.TransactionId);
            Timer?.Dispose();
            Registration.Dispose();
        }
    }
}
