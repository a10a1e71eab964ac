namespace Woven.Node.Config;

/// <summary>
/// One setting as one source gave it: its key in the file's terms (<c>listen</c>, <c>logging.overlay</c>) and its
/// value(s), each with where it came from (<c>--listen</c>, <c>WOVEN_LISTEN</c>, <c>/etc/woven.yaml:3: listen</c>), so
/// that an error names the place to fix.
/// </summary>
public sealed record ConfigSetting(string Key, IReadOnlyList<ConfigItem> Items)
{
    public static ConfigSetting One(string key, string text, string origin) => new(key, [new ConfigItem(text, origin)]);
}
