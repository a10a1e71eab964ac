using System.Net;

namespace Woven.Nat;

public enum StunClientState
{
    Created = 0,
    Waiting,
    Completed,
}

/// <summary>What the caller must do after <see cref="StunClient.OnTimeout"/>.</summary>
public enum StunTimeoutAction
{
    /// <summary>Not due yet (or already completed): nothing to send.</summary>
    None = 0,
    /// <summary>Send <see cref="StunClient.Request"/> to <see cref="StunClient.Server"/> again.</summary>
    Retransmit,
    /// <summary>The transaction timed out; <see cref="StunClient.Result"/> says so.</summary>
    Failed,
}

/// <summary>
/// One STUN Binding transaction over UDP, without I/O or clocks of its own: the caller sends the bytes it is
/// given, feeds back received datagrams and calls <see cref="OnTimeout"/> at <see cref="NextTimeout"/>. Times are
/// any monotonic <see cref="TimeSpan"/> (such as <see cref="TimeProvider.GetElapsedTime(long)"/> since a fixed
/// timestamp). Responses are matched by transaction id only, as RFC 8489 says: with CHANGE-REQUEST the answer
/// legitimately comes from another address. Not thread-safe; drive it from one place.
/// </summary>
public sealed class StunClient
{
    private readonly byte[] _request;
    private readonly StunClientOptions _options;
    private TimeSpan _firstSent;
    private TimeSpan _interval;
    private TimeSpan _nextTimeout;

    /// <param name="changeRequest">RFC 5780 CHANGE-REQUEST to include (null: none).</param>
    /// <param name="responsePort">RFC 5780 RESPONSE-PORT to include (null: none).</param>
    /// <param name="transactionId">Fixed id for simulations and tests; by default a cryptographically random one.</param>
    public StunClient(IPEndPoint server, StunChangeRequest? changeRequest = null, ushort? responsePort = null,
        StunClientOptions? options = null, StunTransactionId? transactionId = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        options ??= StunClientOptions.Default;
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _options = options;
        Server = server;
        TransactionId = transactionId ?? StunTransactionId.NewRandom();
        _request = new StunMessage
        {
            Method = StunMethod.Binding,
            Class = StunClass.Request,
            TransactionId = TransactionId,
            ChangeRequest = changeRequest,
            ResponsePort = responsePort,
            Software = options.Software,
            Fingerprint = options.Fingerprint,
        }.ToArray();
    }

    public IPEndPoint Server { get; }

    public StunTransactionId TransactionId { get; }

    /// <summary>The request datagram; every retransmission is the same bytes.</summary>
    public ReadOnlySpan<byte> Request => _request;

    public StunClientState State { get; private set; }

    public int RequestsSent { get; private set; }

    /// <summary>When <see cref="OnTimeout"/> is next due; null unless waiting.</summary>
    public TimeSpan? NextTimeout => State == StunClientState.Waiting ? _nextTimeout : null;

    public StunBindingResult? Result { get; private set; }

    /// <summary>Begins the transaction: returns the first request to send now.</summary>
    public ReadOnlySpan<byte> Start(TimeSpan now)
    {
        if (State != StunClientState.Created) throw new InvalidOperationException("the transaction was already started");
        State = StunClientState.Waiting;
        _firstSent = now;
        RequestsSent = 1;
        _interval = _options.InitialRto;
        _nextTimeout = now + (RequestsSent == _options.MaxRequests ? FinalWait : _interval);
        return _request;
    }

    private TimeSpan FinalWait => _options.InitialRto * _options.FinalTimeoutMultiplier;

    /// <summary>
    /// Call at (or after) <see cref="NextTimeout"/>. A retransmission goes out at most once per call, and the next
    /// interval counts from <paramref name="now"/>, the time it is actually sent.
    /// </summary>
    public StunTimeoutAction OnTimeout(TimeSpan now)
    {
        if (State != StunClientState.Waiting || now < _nextTimeout) return StunTimeoutAction.None;
        if (RequestsSent >= _options.MaxRequests)
        {
            Complete(new StunBindingResult(StunBindingStatus.Timeout, Server, TransactionId, RequestsSent, now - _firstSent,
                Detail: $"no response to {RequestsSent} requests"));
            return StunTimeoutAction.Failed;
        }
        RequestsSent++;
        if (RequestsSent == _options.MaxRequests)
        {
            _nextTimeout = now + FinalWait;
        }
        else
        {
            _interval += _interval;
            if (_options.MaxRto is { } cap && _interval > cap) _interval = cap;
            _nextTimeout = now + _interval;
        }
        return StunTimeoutAction.Retransmit;
    }

    /// <summary>
    /// Offers a received datagram. Returns the result when it completes the transaction; null when it is not a
    /// response to it (other transaction, not STUN) or is discarded (malformed, bad FINGERPRINT, invalid value),
    /// in which case the transaction keeps waiting.
    /// </summary>
    public StunBindingResult? OnDatagram(ReadOnlySpan<byte> datagram, IPEndPoint from, TimeSpan now)
    {
        if (State != StunClientState.Waiting) return null;
        if (!StunHeader.TryRead(datagram, out var header) || header.TransactionId != TransactionId) return null;
        if (header.Method != StunMethod.Binding || header.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse)) return null;
        if (StunMessage.Read(datagram, out var message) != StunReadStatus.Ok) return null;
        StunBindingStatus status;
        string? detail = null;
        if (message!.UnknownComprehensionRequired.Length > 0)
        {
            status = StunBindingStatus.InvalidResponse;
            detail = "response has unknown comprehension-required attributes: "
                + string.Join(", ", message.UnknownComprehensionRequired.Select(t => $"0x{t:X4}"));
        }
        else if (message.Class == StunClass.ErrorResponse)
        {
            status = message.Error is null ? StunBindingStatus.InvalidResponse : StunBindingStatus.ErrorResponse;
            // Some servers (coturn 4.6) count NUL padding in the reason phrase; keep it in Error, not in the text.
            detail = message.Error is { } e ? $"{e.Code} {e.Reason.TrimEnd('\0')}" : "error response without ERROR-CODE";
        }
        else if (message.XorMappedAddress is null && message.MappedAddress is null)
        {
            status = StunBindingStatus.InvalidResponse;
            detail = "success response without a mapped address";
        }
        else
        {
            status = StunBindingStatus.Success;
        }
        var result = new StunBindingResult(status, Server, TransactionId, RequestsSent, now - _firstSent, message, from, detail);
        Complete(result);
        return result;
    }

    private void Complete(StunBindingResult result)
    {
        State = StunClientState.Completed;
        Result = result;
    }
}
