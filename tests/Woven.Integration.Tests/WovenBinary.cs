using System.Diagnostics;

namespace Woven.Integration.Tests;

/// <summary>Finds the built woven executable and runs it as a user would.</summary>
internal static class WovenBinary
{
    /// <summary>$WOVEN_BIN, else the Release (then Debug) build of src/Woven.Cli found above the test directory.</summary>
    public static string Path { get; } = Woven.Node.Cluster.LocalCluster.FindBuiltWoven();

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs woven with arguments to completion (bounded by <paramref name="timeout"/>).</summary>
    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"woven {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
