using System.Net;

namespace Woven.Nat;

/// <summary>How a Binding transaction ended.</summary>
public enum StunBindingStatus
{
    /// <summary>A success response with a mapped address.</summary>
    Success = 0,
    /// <summary>An error response with an ERROR-CODE (420 for an unsupported CHANGE-REQUEST, say).</summary>
    ErrorResponse,
    /// <summary>
    /// A response with this transaction id that cannot be used: unknown comprehension-required attributes,
    /// an error response without ERROR-CODE, or a success response without a mapped address (RFC 8489 §6.3.3/§6.3.4).
    /// </summary>
    InvalidResponse,
    /// <summary>No usable response after the last request and the final wait.</summary>
    Timeout,
}

/// <summary>The outcome of one STUN Binding transaction.</summary>
public sealed record StunBindingResult(
    StunBindingStatus Status,
    IPEndPoint Server,
    StunTransactionId TransactionId,
    int RequestsSent,
    TimeSpan Elapsed,
    StunMessage? Response = null,
    IPEndPoint? ResponseSource = null,
    string? Detail = null)
{
    public bool IsSuccess => Status == StunBindingStatus.Success;

    /// <summary>The server-reflexive address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (success only).</summary>
    public IPEndPoint? MappedAddress => IsSuccess ? Response!.XorMappedAddress ?? Response.MappedAddress : null;

    /// <summary>RFC 5780 RESPONSE-ORIGIN: where the server says it answered from.</summary>
    public IPEndPoint? ResponseOrigin => Response?.ResponseOrigin;

    /// <summary>RFC 5780 OTHER-ADDRESS: the server's alternate address, present only if it can do CHANGE-REQUEST.</summary>
    public IPEndPoint? OtherAddress => Response?.OtherAddress;

    public StunError? Error => Response?.Error;

    /// <summary>Time from the first request to the answer; an unambiguous RTT only when <see cref="RequestsSent"/> is 1.</summary>
    public TimeSpan? RoundTripTime => Response is not null && RequestsSent == 1 ? Elapsed : null;
}
