using System.CommandLine;
var root = new RootCommand("woven");
var o = new Option<int>("--nodes") { Description = "n" };
root.Options.Add(o);
root.SetAction(pr => { Console.WriteLine(pr.GetValue(o)); return 0; });
return root.Parse(args).Invoke();
