namespace Tmq.Chaos.Tests;

/// <summary>
/// Samples the worker's record while a fault test runs and keeps the longest stall: the longest
/// time in which nothing was handled while produced messages were still waiting to be handled.
/// </summary>
internal sealed class StallWatch : IAsyncDisposable
{
    private static readonly TimeSpan Sample = TimeSpan.FromMilliseconds(100);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public StallWatch(KafkaFaultRig rig) => _sampling = SampleAsync(rig, _stop.Token);

    /// <summary>The longest stall so far.</summary>
    public TimeSpan Longest { get; private set; }

    private async Task SampleAsync(KafkaFaultRig rig, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Sample);
        var handlings = -1;
        var since = DateTime.UtcNow;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var produced = rig.Produced;
                var handled = rig.Handled();
                var now = DateTime.UtcNow;
                if (handled.Handlings != handlings || handled.Distinct >= produced)
                {
                    handlings = handled.Handlings;
                    since = now;
                }
                else if (now - since > Longest)
                {
                    Longest = now - since;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
