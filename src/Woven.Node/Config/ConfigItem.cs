namespace Woven.Node.Config;

/// <summary>A value's text and where it came from (<c>--mtu</c>, <c>WOVEN_MTU</c>, <c>FILE:LINE: mtu</c>).</summary>
public sealed record ConfigItem(string Text, string Origin);
