using System.Net;

namespace Woven.Nat;

/// <summary>What <see cref="StunResponder.Respond"/> did with a datagram.</summary>
public enum StunResponderOutcome
{
    /// <summary>Not a STUN datagram (fails <see cref="StunMessage.IsStun"/>); nothing to send.</summary>
    NotStun = 0,
    /// <summary>STUN, but not a Binding request (an indication, a response, another method); nothing to send.</summary>
    Ignored,
    /// <summary>A Binding request with broken framing or a wrong FINGERPRINT; silently discarded.</summary>
    Malformed,
    /// <summary>A Binding success response was written.</summary>
    Success,
    /// <summary>A 420 (Unknown Attribute) error response was written.</summary>
    UnknownAttribute,
    /// <summary>A 400 (Bad Request) error response was written.</summary>
    BadRequest,
    /// <summary>A response was due but the buffer is smaller than <see cref="StunResponder.MaxResponseSize"/> needs.</summary>
    BufferTooSmall,
}

/// <summary>
/// Answers STUN Binding requests (RFC 8489 Binding usage) without doing any I/O: the caller passes a received
/// datagram and its sender and sends back whatever is written. A success response carries the sender as
/// XOR-MAPPED-ADDRESS and (for RFC 3489-era clients) MAPPED-ADDRESS, optionally RESPONSE-ORIGIN, SOFTWARE and
/// FINGERPRINT. The responder has one address, so it cannot honour RFC 5780's CHANGE-REQUEST, RESPONSE-PORT or
/// PADDING: like any unknown comprehension-required attribute they get 420 with UNKNOWN-ATTRIBUTES (RFC 5780 §6).
/// A decoded attribute with an invalid value gets 400. Indications, responses, other methods and malformed
/// input get nothing. Immutable, so one instance may serve many threads; it allocates nothing per datagram.
/// </summary>
public sealed class StunResponder
{
    public const string DefaultSoftware = "woven";

    private static readonly ushort[] Unsupported =
        [StunAttributeType.ChangeRequest, StunAttributeType.ResponsePort, StunAttributeType.Padding];

    private readonly string? _software;
    private readonly IPEndPoint? _responseOrigin;

    /// <param name="software">SOFTWARE sent in every response; null sends none.</param>
    /// <param name="responseOrigin">
    /// When set, success responses carry it as RESPONSE-ORIGIN (RFC 5780). Give it only when the socket's
    /// address is known (not a wildcard bind).
    /// </param>
    public StunResponder(string? software = DefaultSoftware, IPEndPoint? responseOrigin = null)
    {
        if (software is not null && !StunCodec.IsEncodableText(software))
            throw new ArgumentException("SOFTWARE must be fewer than 128 characters and at most 509 UTF-8 bytes", nameof(software));
        _software = software;
        _responseOrigin = responseOrigin;
        int softwareSize = software is null ? 0 : 4 + StunCodec.Padded(StunCodec.TextSize(software));
        int success = StunMessage.HeaderSize + 3 * (4 + 20) + softwareSize + StunCodec.FingerprintAttributeSize;
        int error = StunMessage.HeaderSize + 4 + StunCodec.Padded(4 + "Unknown Attribute".Length)
            + 4 + 2 * StunMessage.MaxUnknownReported + softwareSize + StunCodec.FingerprintAttributeSize;
        MaxResponseSize = Math.Max(success, error);
    }

    /// <summary>A response buffer of this size always suffices (136 bytes with the default SOFTWARE).</summary>
    public int MaxResponseSize { get; }

    /// <summary>True when <paramref name="response"/> holds <paramref name="written"/> bytes to send back to <paramref name="from"/>.</summary>
    public bool TryRespond(ReadOnlySpan<byte> request, IPEndPoint from, Span<byte> response, out int written) =>
        Respond(request, from, response, out written) is StunResponderOutcome.Success
            or StunResponderOutcome.UnknownAttribute or StunResponderOutcome.BadRequest;

    public StunResponderOutcome Respond(ReadOnlySpan<byte> request, IPEndPoint from, Span<byte> response, out int written)
    {
        written = 0;
        if (!StunHeader.TryRead(request, out var header)) return StunResponderOutcome.NotStun;
        if (header.Class != StunClass.Request || header.Method != StunMethod.Binding) return StunResponderOutcome.Ignored;
        Span<ushort> unknown = stackalloc ushort[StunMessage.MaxUnknownReported];
        var status = StunCodec.Scan(request, Unsupported, unknown, out int unknownCount, out _);
        if (status is not (StunReadStatus.Ok or StunReadStatus.BadAttribute)) return StunResponderOutcome.Malformed;

        StunResponderOutcome outcome;
        StunBuilder b;
        if (unknownCount > 0)
        {
            outcome = StunResponderOutcome.UnknownAttribute;
            b = new StunBuilder(response, StunMessageType.Compose(StunMethod.Binding, StunClass.ErrorResponse), header.TransactionId);
            b.ErrorCode(StunError.UnknownAttribute, "Unknown Attribute"u8);
            b.TypeList(StunAttributeType.UnknownAttributes, unknown[..Math.Min(unknownCount, unknown.Length)]);
        }
        else if (status == StunReadStatus.BadAttribute)
        {
            outcome = StunResponderOutcome.BadRequest;
            b = new StunBuilder(response, StunMessageType.Compose(StunMethod.Binding, StunClass.ErrorResponse), header.TransactionId);
            b.ErrorCode(StunError.BadRequest, "Bad Request"u8);
        }
        else
        {
            outcome = StunResponderOutcome.Success;
            b = new StunBuilder(response, StunMessageType.Compose(StunMethod.Binding, StunClass.SuccessResponse), header.TransactionId);
            b.Address(StunAttributeType.XorMappedAddress, from, xor: true);
            b.Address(StunAttributeType.MappedAddress, from, xor: false);
            if (_responseOrigin is not null) b.Address(StunAttributeType.ResponseOrigin, _responseOrigin, xor: false);
        }
        if (_software is not null) b.Text(StunAttributeType.Software, _software);
        if (!b.Finish(fingerprint: true, out written))
        {
            written = 0;
            return StunResponderOutcome.BufferTooSmall;
        }
        return outcome;
    }
}
