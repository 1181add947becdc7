namespace Tmqtool.Tests.Support;

/// <summary>
/// A test that builds or runs real projects (minutes, network for nuget.org). It runs only when
/// TMQ_SLOW_TESTS=1, so that an ordinary <c>dotnet test</c> stays fast; CI sets the variable.
/// Mark such tests <c>[Trait("Category", "Slow")]</c> too, to select them with a filter.
/// </summary>
public sealed class SlowFactAttribute : FactAttribute
{
    internal const string Variable = "TMQ_SLOW_TESTS";

    public SlowFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"Slow test: set {Variable}=1 to run it.";
        }
    }
}
