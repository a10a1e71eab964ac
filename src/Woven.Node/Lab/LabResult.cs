namespace Woven.Node.Lab;

/// <summary>Output of a command run to completion in the lab.</summary>
public sealed record LabResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
