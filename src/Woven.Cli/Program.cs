using System.CommandLine;
using Woven.Cli.Commands;
using Woven.Platform.State;

var stateDir = new Option<string>("--state-dir")
{
    Description = "The node's state directory (key, control socket); default $WOVEN_STATE_DIR or ~/.local/state/woven",
    DefaultValueFactory = _ => StateDirectory.DefaultPath(),
};
var root = new RootCommand("Woven: a self-organizing private network over a peer-to-peer overlay")
{
    UpCommand.Create(stateDir),
    StatusCommand.Create(stateDir),
    PeersCommand.Create(stateDir),
    NetcheckCommand.Create(stateDir),
    SimCommand.Create(),
    FuzzCommand.Create(),
    DemoCommand.Create(),
    DomainCommand.Create(stateDir),
    DhtCommand.Create(stateDir),
    IpCommand.Create(stateDir),
    PingCommand.Create(stateDir),
    MsgCommand.Create(stateDir),
    PresenceCommand.Create(stateDir),
};
// `woven msg send PEER TOPIC @FILE` reads FILE itself: no response files.
return root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).Invoke();
