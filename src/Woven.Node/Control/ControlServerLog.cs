using Microsoft.Extensions.Logging;

namespace Woven.Node.Control;

/// <summary>What the control API logs (category Woven.Node.Control.ControlServer; <c>logging: {control: debug}</c> shows every request).</summary>
internal static partial class ControlServerLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "control: {Method} {Path} {Status} in {Ms:F1} ms over {Listener}")]
    public static partial void Served(ILogger log, string method, string path, int status, double ms, string listener);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "control: refused {Method} {Path} from {Remote} on TCP: no valid token")]
    public static partial void Refused(ILogger log, string method, string path, string remote);
}
