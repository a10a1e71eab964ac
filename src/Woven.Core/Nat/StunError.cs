namespace Woven.Nat;

/// <summary>The ERROR-CODE attribute: a code 300–699 and a UTF-8 reason phrase.</summary>
public readonly record struct StunError(int Code, string Reason)
{
    public const int TryAlternate = 300;
    public const int BadRequest = 400;
    public const int Unauthenticated = 401;
    public const int UnknownAttribute = 420;
    public const int StaleNonce = 438;
    public const int ServerError = 500;

    public int Class => Code / 100;

    public int Number => Code % 100;

    public bool IsValid => Code is >= 300 and <= 699;
}
