using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Woven.Bench;

/// <summary>
/// Micro-benchmarks of the crypto hot paths. With no arguments every benchmark runs in-process with 3 warm-up and
/// 10 measured iterations (about a minute and a half in all); any BenchmarkDotNet arguments (<c>--filter</c>,
/// <c>--job short</c>, ...) replace that, and <c>--inProcess</c> should then be among them.
/// In-process keeps BenchmarkDotNet from generating and building a project under the repository's strict
/// analyzer settings.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .WithOptions(ConfigOptions.JoinSummary);
        if (args.Length == 0)
        {
            config = config.AddJob(Job.Default
                .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10)
                .WithToolchain(InProcessEmitToolchain.Instance).WithId("InProcess10"));
            args = ["--filter", "*"];
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
