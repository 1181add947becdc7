namespace Tmq;

/// <summary>
/// Lets the same text through once per <c>quiet</c> window: one save of a settings file often
/// raises two reloads, and each would otherwise say the same thing again. Thread-safe.
/// </summary>
internal sealed class RepeatWindow(TimeProvider time, TimeSpan quiet)
{
    private readonly Lock _gate = new();
    private string? _last;
    private long _at;

    /// <summary>True unless <paramref name="text"/> was admitted less than the window ago.</summary>
    public bool Admit(string text)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (text == _last && time.GetElapsedTime(_at, now) < quiet)
            {
                return false;
            }

            (_last, _at) = (text, now);
            return true;
        }
    }

    /// <summary>Forgets the last text: the next one is admitted whatever it is.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _last = null;
        }
    }
}
