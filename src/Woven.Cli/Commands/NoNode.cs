using System.Net.Http;
using System.Net.Sockets;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary>
/// What every command that talks to a running node says when none answers on the state directory's control socket:
/// one line naming the directory and how to start a node, and exit code 4 (distinct from usage errors, 2, and
/// failures the node reports, 1). A stale socket left by a killed node counts as no node.
/// </summary>
internal static class NoNode
{
    public const int ExitCode = 4;

    /// <summary>The control socket is missing, refuses, or nobody accepts on it.</summary>
    public static bool Is(HttpRequestException e) => e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError;

    public static string Message(StateDirectory state) =>
        $"woven: no node is running for state dir {state.Path} (start one with `woven up --state-dir {state.Path}`)";

    /// <summary>Prints <see cref="Message"/> to standard error and gives the exit code.</summary>
    public static int Report(StateDirectory state)
    {
        Console.Error.WriteLine(Message(state));
        return ExitCode;
    }
}
