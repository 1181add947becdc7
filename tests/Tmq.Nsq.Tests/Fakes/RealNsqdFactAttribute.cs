namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// A test that runs against the real nsqd (see <see cref="RealNsqd"/>). Without <c>NSQD_PATH</c> it
/// is reported as skipped with <see cref="RealNsqd.SkipReason"/>: xunit 2 decides skips when it
/// discovers tests, so the attribute decides, not the test body.
/// </summary>
public sealed class RealNsqdFactAttribute : FactAttribute
{
    private bool _requiresLookupd;

    public RealNsqdFactAttribute()
    {
        Skip = RealNsqd.SkipReason;
    }

    /// <summary>Skips the test also when <c>NSQLOOKUPD_PATH</c> is not set.</summary>
    /// <value>false.</value>
    public bool RequiresLookupd
    {
        get => _requiresLookupd;
        set
        {
            _requiresLookupd = value;
            if (value && Skip is null && RealNsqd.LookupdPath is null)
            {
                Skip = $"{RealNsqd.LookupdPathVariable} is not set: the real-nsqlookupd run of this test is skipped (build nsqlookupd 1.3 and set {RealNsqd.LookupdPathVariable} to run it)";
            }
        }
    }
}
