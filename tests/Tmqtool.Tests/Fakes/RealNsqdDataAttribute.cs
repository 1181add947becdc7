using System.Reflection;
using Tmq.Nsq.Tests.Fakes;
using Xunit.Sdk;

namespace Tmqtool.Tests.Fakes;

/// <summary>
/// The <c>"real"</c> row of a theory over <see cref="TestBroker"/> kinds: the real nsqd and
/// nsqlookupd, reported as skipped with the reason unless <c>NSQD_PATH</c> and <c>NSQLOOKUPD_PATH</c>
/// are set. (The verbs' tests read /stats through nsqlookupd, which knows nsqd's HTTP port.)
/// </summary>
public sealed class RealNsqdDataAttribute : DataAttribute
{
    public RealNsqdDataAttribute()
    {
        Skip = RealNsqd.SkipReason ?? (RealNsqd.LookupdPath is null
            ? $"{RealNsqd.LookupdPathVariable} is not set: the real-nsqd run of this test is skipped (set {RealNsqd.LookupdPathVariable} to nsqlookupd 1.3 as well)"
            : null);
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["real"]];
}
