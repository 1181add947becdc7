using System.Diagnostics;

namespace Tmq.Nsq.Tests.Fakes;

// Waiting for what clients do: each wait re-checks on every change and fails at a deadline; nothing sleeps.
internal sealed partial class ScriptedNsqd
{
    /// <summary>Waits until <paramref name="condition"/> holds, re-checking it after each connection, command or close.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message lists what was recorded.</exception>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string because)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return;
            }

            var remaining = timeout - clock.Elapsed;
            try
            {
                await changed.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {because}. {Describe()}");
            }
        }
    }

    /// <summary>Returns the first recorded command called <paramref name="name"/> (and matching <paramref name="where"/>), waiting for it if needed.</summary>
    public async Task<NsqCommand> WaitForCommandAsync(string name, TimeSpan timeout, Func<NsqCommand, bool>? where = null)
    {
        NsqCommand? found = null;
        await WaitUntilAsync(
            () => (found = Commands.FirstOrDefault(c => c.Name == name && (where is null || where(c)))) is not null,
            timeout,
            $"a client sends {name}");
        return found!;
    }

    /// <summary>Returns the connection accepted <paramref name="index"/>-th (from 0), waiting for it if needed.</summary>
    public async Task<ScriptedNsqdConnection> WaitForConnectionAsync(int index, TimeSpan timeout)
    {
        await WaitUntilAsync(() => ConnectionsAccepted > index, timeout, $"connection #{index} is accepted");
        return Connections[index];
    }

    private string Describe()
    {
        lock (_gate)
        {
            var commands = _commands.Count == 0 ? "none" : string.Join(", ", _commands);
            var faults = _faults.Count == 0 ? string.Empty : $" Faults: {string.Join("; ", _faults.Select(f => f.Message))}.";
            return $"Connections accepted: {_connections.Count}; commands recorded: {commands}.{faults}";
        }
    }
}
