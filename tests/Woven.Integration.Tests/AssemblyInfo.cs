[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// The process tests start many real nodes; running them one class at a time keeps the two cores from thrashing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
