using System.Globalization;

namespace Tmq.Chaos.Tests;

/// <summary>
/// The verifier: reads the worker's record (one line per handling, <c>key sequence attempt pid</c>
/// and more fields for reading by hand)
/// and says, per key, what is missing, what was handled more than once, and whether the first
/// handlings kept the order the messages were produced in.
/// </summary>
internal sealed class HandledMessages
{
    private readonly List<(string Key, int Sequence, int Attempt, int Process, long At)> _lines = [];
    private Dictionary<string, List<(long At, int Process)>>? _byKey;

    private HandledMessages()
    {
    }

    /// <summary>Every handling recorded.</summary>
    public int Handlings => _lines.Count;

    /// <summary>Distinct messages handled at least once.</summary>
    public int Distinct => _lines.Select(static l => (l.Key, l.Sequence)).Distinct().Count();

    /// <summary>Handlings beyond the first of their message: what at-least-once costs.</summary>
    public int Duplicates => Handlings - Distinct;

    /// <summary>Handlings of a message that nsqd (or Kafka) had delivered before.</summary>
    public int Redelivered => _lines.Count(static l => l.Attempt > 1);

    /// <summary>The worker processes that handled something.</summary>
    public int Processes => _lines.Select(static l => l.Process).Distinct().Count();

    /// <summary>
    /// Reads the record as it is now. A process writes each line whole, but a read can meet a write
    /// half done: the last line counts only once its newline is there.
    /// </summary>
    public static HandledMessages Read(string path)
    {
        var handled = new HandledMessages();
        if (!File.Exists(path))
        {
            return handled;
        }

        string text;
        using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            text = reader.ReadToEnd();
        }

        // The record is ASCII: a line's position in the text is its byte offset in the file.
        for (var at = 0; text.IndexOf('\n', at) is var end and >= 0; at = end + 1)
        {
            var parts = text[at..end].Split(' ');
            handled._lines.Add((parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture), int.Parse(parts[3], CultureInfo.InvariantCulture), at));
        }

        return handled;
    }

    /// <summary>The messages of <paramref name="keys"/> x 1..<paramref name="perKey"/> never handled, as "key#sequence".</summary>
    public IReadOnlyList<string> Missing(IEnumerable<string> keys, int perKey)
    {
        var seen = _lines.Select(static l => (l.Key, l.Sequence)).ToHashSet();
        return [.. keys.SelectMany(k => Enumerable.Range(1, perKey).Where(s => !seen.Contains((k, s))).Select(s => $"{k}#{s}"))];
    }

    /// <summary>The messages one worker process handled.</summary>
    public IEnumerable<(string Key, int Sequence)> HandledBy(int process) => _lines.Where(l => l.Process == process).Select(static l => (l.Key, l.Sequence));

    /// <summary>
    /// The duplicates (handlings beyond the first of their message), each with the process that
    /// handled the message first and where in the record (byte offset) the duplicate was written:
    /// compared with the record's length when that process was signalled, it says whether the
    /// message came again because of the signal or while the process still ran (a rebalance).
    /// </summary>
    public IEnumerable<(int FirstHandler, string Key, long At)> DuplicateHandlings()
    {
        var first = new Dictionary<(string, int), int>();
        foreach (var line in _lines)
        {
            if (!first.TryAdd((line.Key, line.Sequence), line.Process))
            {
                yield return (first[(line.Key, line.Sequence)], line.Key, line.At);
            }
        }
    }

    /// <summary>
    /// The process that last handled a message of <paramref name="key"/> before byte offset
    /// <paramref name="before"/> of the record, or null. A key always goes to the same partition, so
    /// this is who held the key's partition then: a worker signalled while another had taken its
    /// partition no longer held what it had handled of it.
    /// </summary>
    public int? LastHandlerOf(string key, long before)
    {
        _byKey ??= _lines.GroupBy(static l => l.Key).ToDictionary(static g => g.Key, static g => g.Select(static l => (l.At, l.Process)).ToList());
        if (!_byKey.TryGetValue(key, out var handlings))
        {
            return null;
        }

        // In record order, so in offset order: the last one before the offset.
        var low = 0;
        var high = handlings.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (handlings[middle].At < before)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low == 0 ? null : handlings[low - 1].Process;
    }

    /// <summary>Keys whose messages were first handled out of production order.</summary>
    public IReadOnlyList<string> KeysOutOfOrder()
    {
        var first = new Dictionary<(string, int), int>();
        for (var i = 0; i < _lines.Count; i++)
        {
            first.TryAdd((_lines[i].Key, _lines[i].Sequence), i);
        }

        return [.. first.GroupBy(static f => f.Key.Item1)
            .Where(static g => !g.OrderBy(static f => f.Value).Select(static f => f.Key.Item2).SequenceEqual(g.Select(static f => f.Key.Item2).Order()))
            .Select(static g => g.Key)];
    }
}
