using System.Collections.Concurrent;

namespace Wrapper.Gateway.Health;

/// <summary>What the gateway has seen of each backend: why and until when it was taken out of the pool, and
/// counters for <c>GET /gateway/status</c>. Thread-safe.</summary>
public sealed class BackendLedger
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public BackendLedger(TimeProvider time) => _time = time;

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>A response or transport error was received from the backend; <paramref name="refusedClient"/> when
    /// the backend marked its answer as a refusal caused by the client (never a failure).</summary>
    public void RecordForwarded(string backend, bool failed, bool refusedClient = false)
    {
        var entry = Get(backend);
        Interlocked.Increment(ref entry.Forwarded);
        if (failed)
        {
            Interlocked.Increment(ref entry.Failures);
        }

        if (refusedClient)
        {
            Interlocked.Increment(ref entry.ClientRefusals);
        }
    }

    /// <summary>The passive check took the backend out of the pool until <paramref name="until"/>.</summary>
    public void RecordEjected(string backend, DateTimeOffset until, string reason)
    {
        var entry = Get(backend);
        lock (entry)
        {
            entry.UnhealthyUntil = until;
            entry.LastFailure = reason;
            entry.LastFailureAt = Now;
            entry.Ejections++;
        }
    }

    /// <summary>A request that had failed on <paramref name="from"/> was sent to another backend.</summary>
    public void RecordFailover(string from) => Interlocked.Increment(ref Get(from).FailedOver);

    /// <summary>A response pinned a client to <paramref name="backend"/>; <paramref name="movedFrom"/> is the
    /// backend its cookie named before, if any.</summary>
    public void RecordAffinityAssigned(string backend, string? movedFrom)
    {
        Interlocked.Increment(ref Get(backend).AffinityAssigned);
        if (movedFrom is not null)
        {
            Interlocked.Increment(ref Get(movedFrom).AffinityMovedAway);
        }
    }

    /// <summary>A pinned client was served by the backend its cookie names.</summary>
    public void RecordAffinityKept(string backend) => Interlocked.Increment(ref Get(backend).AffinityKept);

    /// <summary>When the passive check lets the backend back in, or null when it is not out.</summary>
    public DateTimeOffset? UnhealthyUntil(string backend)
    {
        if (!_entries.TryGetValue(backend, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            return entry.UnhealthyUntil is { } until && until > Now ? until : null;
        }
    }

    public BackendCounters Snapshot(string backend)
    {
        var entry = Get(backend);
        lock (entry)
        {
            return new BackendCounters(
                Interlocked.Read(ref entry.Forwarded),
                Interlocked.Read(ref entry.Failures),
                Interlocked.Read(ref entry.ClientRefusals),
                Interlocked.Read(ref entry.FailedOver),
                entry.Ejections,
                Interlocked.Read(ref entry.AffinityAssigned),
                Interlocked.Read(ref entry.AffinityKept),
                Interlocked.Read(ref entry.AffinityMovedAway),
                entry.LastFailure,
                entry.LastFailureAt);
        }
    }

    private Entry Get(string backend) => _entries.GetOrAdd(backend, static _ => new Entry());

    private sealed class Entry
    {
        public long Forwarded;
        public long Failures;
        public long ClientRefusals;
        public long FailedOver;
        public long AffinityAssigned;
        public long AffinityKept;
        public long AffinityMovedAway;
        public long Ejections;
        public DateTimeOffset? UnhealthyUntil;
        public string? LastFailure;
        public DateTimeOffset? LastFailureAt;
    }
}

/// <summary>Counters of one backend since the gateway started.</summary>
public sealed record BackendCounters(
    long Forwarded,
    long Failures,
    long ClientRefusals,
    long FailedOver,
    long Ejections,
    long AffinityAssigned,
    long AffinityKept,
    long AffinityMovedAway,
    string? LastFailure,
    DateTimeOffset? LastFailureAt);
