using System.Text;

namespace Woven.Crypto;

/// <summary>
/// Text format of the node key file: the line <c>woven-node-key-v1</c>, then the base64 of the 32-byte
/// Ed25519 private key. Parsing names what is wrong instead of throwing an opaque exception.
/// </summary>
public static class NodeKeyFile
{
    public const string Header = "woven-node-key-v1";

    public static byte[] Encode(NodeIdentity identity) =>
        Encoding.ASCII.GetBytes($"{Header}\n{Convert.ToBase64String(identity.ExportPrivateKey())}\n");

    public static bool TryDecode(ReadOnlySpan<byte> content, out NodeIdentity? identity, out string error)
    {
        identity = null;
        string text;
        try
        {
            text = Encoding.ASCII.GetString(content);
        }
        catch (ArgumentException)
        {
            error = "not ASCII text";
            return false;
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length != 2 || lines[0] != Header)
        {
            error = $"expected the line '{Header}' followed by one base64 line";
            return false;
        }
        Span<byte> key = stackalloc byte[64];
        if (!Convert.TryFromBase64String(lines[1], key, out int n) || n != NodeIdentity.KeySize)
        {
            error = $"the key line is not base64 of {NodeIdentity.KeySize} bytes";
            return false;
        }
        identity = NodeIdentity.FromPrivateKey(key[..n]);
        key.Clear();
        error = "";
        return true;
    }
}
