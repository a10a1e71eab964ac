namespace Woven.Integration.Tests;

/// <summary>The main job, end to end, as a user runs it.</summary>
public class DemoTests
{
    [Fact]
    public async Task The_demo_runs_end_to_end_and_exits_zero()
    {
        var r = await WovenBinary.RunAsync(TimeSpan.FromMinutes(2), "demo");
        Assert.True(r.ExitCode == 0, $"demo failed ({r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("ring formed", r.Stdout);
        Assert.Contains("ring repaired", r.Stdout);
        Assert.Contains("demo finished", r.Stdout);
    }
}
