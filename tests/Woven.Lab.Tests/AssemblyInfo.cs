[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// The lab tests build network namespaces and run daemons in them; one at a time keeps them from competing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
