using System.CommandLine;
using Woven.Cli.Commands;

var root = new RootCommand("Woven: a self-organizing private network over a peer-to-peer overlay")
{
    SimCommand.Create(),
};
return root.Parse(args).Invoke();
