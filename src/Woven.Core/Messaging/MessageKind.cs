namespace Woven.Messaging;

/// <summary>What a data frame's message is.</summary>
public enum MessageKind : byte
{
    /// <summary>A one-way message.</summary>
    Message = 0,
    /// <summary>A request: the receiver is expected to answer with a response of the same request id.</summary>
    Request = 1,
    /// <summary>The answer to a request.</summary>
    Response = 2,
}
