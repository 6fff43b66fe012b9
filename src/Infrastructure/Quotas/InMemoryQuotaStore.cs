using System.Collections.Concurrent;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>The counters in this process: exact for one instance, and what every instance falls back to while Redis is
/// unreachable. Each client's counters sit behind their own lock; a correction applies once (its reservation is removed
/// by the first), and only to windows that are still current.</summary>
public sealed class InMemoryQuotaStore
{
    public const string StoreName = "memory";

    /// <summary>Corrections that never come (a process that lost a request) must not hold memory for ever.</summary>
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromHours(1);

    /// <summary>Above this many clients, those idle for an hour are forgotten (an approximation only a flood of
    /// anonymous addresses reaches).</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Counters> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Tokens, DateTimeOffset At)> _reservations = new(StringComparer.Ordinal);
    private long _lastSweep;

    public QuotaDecision Reserve(QuotaRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var minute = QuotaWindows.Minute(now).Id;
        var period = QuotaWindows.Period(now, request.Limits.QuotaPeriod).Id;
        if (_clients.Count > PruneAbove)
        {
            Prune(minute);
        }

        var counters = _clients.GetOrAdd(request.Client, static _ => new Counters());
        lock (counters)
        {
            counters.Roll(minute, period);
            var refused = QuotaArithmetic.Refusal(request.Limits, counters.Requests, counters.MinuteTokens, counters.PeriodTokens, request.Tokens);
            if (refused is not null)
            {
                return QuotaArithmetic.Decide(request, now, refused, counters.Requests, counters.MinuteTokens, counters.PeriodTokens, null);
            }

            counters.Requests++;
            counters.MinuteTokens += request.Tokens;
            counters.PeriodTokens += request.Tokens;
            var reservation = new QuotaReservation(Guid.NewGuid().ToString("N"), request.Client, minute, period, request.Tokens, StoreName);
            if (request.Tokens > 0)
            {
                _reservations[reservation.Id] = (request.Tokens, now);
            }

            SweepReservations(now);
            return QuotaArithmetic.Decide(request, now, null, counters.Requests, counters.MinuteTokens, counters.PeriodTokens, reservation);
        }
    }

    public void Correct(QuotaReservation reservation, TokenUsage actual)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(actual);
        if (!_reservations.TryRemove(reservation.Id, out var held) || !_clients.TryGetValue(reservation.Client, out var counters))
        {
            return;
        }

        var delta = actual.TotalTokens - held.Tokens;
        lock (counters)
        {
            if (counters.Minute == reservation.Minute)
            {
                counters.MinuteTokens = Math.Max(0, counters.MinuteTokens + delta);
            }

            if (counters.Period == reservation.Period)
            {
                counters.PeriodTokens = Math.Max(0, counters.PeriodTokens + delta);
            }
        }
    }

    /// <summary>The counters of <paramref name="client"/> as they stand (tests and diagnostics).</summary>
    public (long Requests, long MinuteTokens, long PeriodTokens) Peek(string client, DateTimeOffset now, QuotaPeriod period)
    {
        if (!_clients.TryGetValue(client, out var counters))
        {
            return (0, 0, 0);
        }

        lock (counters)
        {
            counters.Roll(QuotaWindows.Minute(now).Id, QuotaWindows.Period(now, period).Id);
            return (counters.Requests, counters.MinuteTokens, counters.PeriodTokens);
        }
    }

    private void Prune(long minute)
    {
        foreach (var (client, counters) in _clients)
        {
            lock (counters)
            {
                if (counters.Minute < minute - 60)
                {
                    _clients.TryRemove(client, out _);
                }
            }
        }
    }

    private void SweepReservations(DateTimeOffset now)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        if (Interlocked.Exchange(ref _lastSweep, minute) == minute)
        {
            return;
        }

        foreach (var (id, held) in _reservations)
        {
            if (now - held.At > ReservationLifetime)
            {
                _reservations.TryRemove(id, out _);
            }
        }
    }

    private sealed class Counters
    {
        public long Minute = long.MinValue;
        public string Period = string.Empty;
        public long Requests;
        public long MinuteTokens;
        public long PeriodTokens;

        /// <summary>Starts new windows when the minute or the period has changed.</summary>
        public void Roll(long minute, string period)
        {
            if (Minute != minute)
            {
                Minute = minute;
                Requests = 0;
                MinuteTokens = 0;
            }

            if (!string.Equals(Period, period, StringComparison.Ordinal))
            {
                Period = period;
                PeriodTokens = 0;
            }
        }
    }
}
