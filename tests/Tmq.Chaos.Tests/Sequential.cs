// The reliability tests run one at a time: each brings its own worker processes, producer and
// broker, and on two cores, run together, they starved each other's consumers of the CPU that
// heartbeats need, so that sessions expired and figures (duplicates, stalls) measured the
// neighbours rather than the fault under test.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
