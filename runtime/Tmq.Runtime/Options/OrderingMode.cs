namespace Tmq;

/// <summary>Which messages the runtime keeps in order relative to each other.</summary>
public enum OrderingMode
{
    /// <summary>Messages with the same key are handled one at a time in log order; different keys in parallel. An empty key falls back to partition order.</summary>
    Key = 0,

    /// <summary>One message at a time per partition, in log order.</summary>
    Partition = 1,

    /// <summary>No ordering: every message may run in parallel with every other.</summary>
    None = 2,
}
