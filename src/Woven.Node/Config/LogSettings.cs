using Microsoft.Extensions.Logging;

namespace Woven.Node.Config;

/// <summary>
/// The node's log levels: one for everything and one per category (see <see cref="ConfigKeys.LogCategories"/>; a full
/// logger category such as Woven.Node.Cluster is taken as it is). Libraries under Microsoft log warnings and worse
/// unless <c>control</c> asks for more.
/// </summary>
public sealed record LogSettings(LogLevel Default, IReadOnlyDictionary<string, LogLevel> Categories)
{
    public static readonly LogSettings Info = new(LogLevel.Information, new Dictionary<string, LogLevel>());

    public void Apply(ILoggingBuilder builder)
    {
        builder.SetMinimumLevel(Default);
        builder.AddFilter("Microsoft", Default > LogLevel.Warning ? Default : LogLevel.Warning);
        foreach (var (category, level) in Categories)
        {
            var prefixes = ConfigKeys.LogCategories.TryGetValue(category, out var known) ? known : [category];
            foreach (var prefix in prefixes) builder.AddFilter(prefix, level);
        }
    }
}
