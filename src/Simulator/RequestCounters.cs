namespace Wrapper.Simulator;

/// <summary>
/// Requests served by the simulated routes, by route (<c>"POST /openai/deployments/{deployment}/chat/completions"</c>)
/// and outcome (the status code, or <c>"dropped"</c>). The <c>/_simulator</c> routes are not counted. Thread-safe.
/// </summary>
public sealed class RequestCounters
{
    /// <summary>Outcome recorded for a connection a fault dropped.</summary>
    public const string Dropped = "dropped";

    private readonly Dictionary<(string Route, string Outcome), long> _counts = [];

    /// <summary>Counts one request.</summary>
    public void Record(string route, string outcome)
    {
        lock (_counts)
        {
            _counts[(route, outcome)] = _counts.GetValueOrDefault((route, outcome)) + 1;
        }
    }

    /// <summary>All requests counted since the start or the last <see cref="Reset"/>.</summary>
    public long Total
    {
        get
        {
            lock (_counts)
            {
                return _counts.Values.Sum();
            }
        }
    }

    /// <summary>Requests of <paramref name="route"/>, of one <paramref name="outcome"/> or all.</summary>
    public long Count(string route, string? outcome = null)
    {
        lock (_counts)
        {
            return _counts.Where(c => c.Key.Route == route && (outcome is null || c.Key.Outcome == outcome)).Sum(c => c.Value);
        }
    }

    /// <summary>Counts by route, then by outcome.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Snapshot()
    {
        lock (_counts)
        {
            return _counts
                .GroupBy(c => c.Key.Route, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(
                    g => g.Key,
                    g => (IReadOnlyDictionary<string, long>)g
                        .OrderBy(c => c.Key.Outcome, StringComparer.Ordinal)
                        .ToDictionary(c => c.Key.Outcome, c => c.Value),
                    StringComparer.Ordinal);
        }
    }

    /// <summary>Forgets every count.</summary>
    public void Reset()
    {
        lock (_counts)
        {
            _counts.Clear();
        }
    }
}
