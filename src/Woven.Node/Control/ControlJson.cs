using System.Text.Json;
using System.Text.Json.Serialization;

namespace Woven.Node.Control;

/// <summary>The one JSON shape of the control API: snake_case names, nulls omitted.</summary>
public static class ControlJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };
}
