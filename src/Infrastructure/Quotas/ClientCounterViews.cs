using System.Collections.Concurrent;
using Wrapper.Application.Quotas;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>
/// What this instance last learned of each client's counters in Redis (every reservation's answer carries them), and how
/// fast they have been growing across every instance; used to admit a request without waiting for Redis when the client
/// is far from all of its limits (<see cref="TryAdmit"/>). The request is still reserved in Redis, counted whatever the
/// counters say by then (RedisQuotaStore.ReserveAsync with <c>admittedAs</c>), so the counters stay exact; only
/// the decision is taken here.
/// </summary>
/// <remarks>
/// A request is admitted here only when all of these hold, so that no instance can take a client past a limit this way:
/// <list type="bullet">
/// <item>the view is of the current minute and quota period, and at most <see cref="Horizon"/> old;</item>
/// <item>two answers of this minute have been seen, so the growth rate is known (it includes every instance's traffic);</item>
/// <item>for each limit the client has: the count last seen, plus what this instance admitted here since and has not
/// seen answered, plus this request, plus what the growth rate adds in a whole <see cref="Horizon"/>, stays within
/// half the limit.</item>
/// </list>
/// So a client near a limit (past half of it, or growing fast enough to get there within a second) is decided by Redis,
/// exactly, as before; only requests of clients with ample room skip the wait.
/// </remarks>
public sealed class ClientCounterViews
{
    /// <summary>The longest a view is used, and the time its growth rate is projected over.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromSeconds(1);

    /// <summary>Above this many clients the views start again (a flood of anonymous addresses only).</summary>
    private const int MaxClients = 10_000;

    private readonly ConcurrentDictionary<string, View> _views = new(StringComparer.Ordinal);

    /// <summary>Records the counters Redis answered with for <paramref name="client"/> at <paramref name="at"/>.</summary>
    public void Observe(string client, long minute, string period, long requests, long minuteTokens, long periodTokens, DateTimeOffset at)
    {
        if (!_views.TryGetValue(client, out var view))
        {
            if (_views.Count >= MaxClients)
            {
                _views.Clear();
            }

            view = _views.GetOrAdd(client, static _ => new View());
        }

        lock (view)
        {
            if (minute < view.Minute)
            {
                return; // a late answer of a minute already over
            }

            var sameWindow = minute == view.Minute && string.Equals(period, view.Period, StringComparison.Ordinal);
            var seconds = (at - view.At).TotalSeconds;
            if (sameWindow && seconds > 0)
            {
                // Growth of every instance's traffic together; corrections can shrink a counter, never a rate below 0.
                var requestRate = Math.Max(0, (requests - view.Requests) / seconds);
                var tokenRate = Math.Max(0, (Math.Max(minuteTokens - view.MinuteTokens, periodTokens - view.PeriodTokens)) / seconds);
                view.RequestRate = view.RatesKnown ? Math.Max(requestRate, (view.RequestRate + requestRate) / 2) : requestRate;
                view.TokenRate = view.RatesKnown ? Math.Max(tokenRate, (view.TokenRate + tokenRate) / 2) : tokenRate;
                view.RatesKnown = true;
            }
            else if (!sameWindow)
            {
                view.Minute = minute;
                view.Period = period;
                view.RatesKnown = false;
                view.InFlightRequests = 0;
                view.InFlightTokens = 0;
            }

            view.Requests = requests;
            view.MinuteTokens = minuteTokens;
            view.PeriodTokens = periodTokens;
            view.At = at;
        }
    }

    /// <summary>Admits <paramref name="request"/> here when its client has ample room (see the remarks of the class),
    /// counting it as in flight until <see cref="Landed"/>; <paramref name="counters"/> are the client's counters with it.</summary>
    public bool TryAdmit(QuotaRequest request, long minute, string period, DateTimeOffset now, out (long Requests, long MinuteTokens, long PeriodTokens) counters)
    {
        counters = default;
        if (!_views.TryGetValue(request.Client, out var view))
        {
            return false;
        }

        var limits = request.Limits;
        var horizon = Horizon.TotalSeconds;
        lock (view)
        {
            if (!view.RatesKnown || view.Minute != minute || !string.Equals(view.Period, period, StringComparison.Ordinal)
                || now - view.At > Horizon || now < view.At)
            {
                return false;
            }

            var requests = view.Requests + view.InFlightRequests + 1;
            var minuteTokens = view.MinuteTokens + view.InFlightTokens + request.Tokens;
            var periodTokens = view.PeriodTokens + view.InFlightTokens + request.Tokens;
            if (!Ample(limits.RequestsPerMinute, requests, view.RequestRate * horizon)
                || (request.Tokens > 0 && !Ample(limits.TokensPerMinute, minuteTokens, view.TokenRate * horizon))
                || (request.Tokens > 0 && !Ample(limits.TokenQuota, periodTokens, view.TokenRate * horizon)))
            {
                return false;
            }

            view.InFlightRequests++;
            view.InFlightTokens += request.Tokens;
            counters = (requests, minuteTokens, periodTokens);
            return true;
        }
    }

    /// <summary>A request admitted by <see cref="TryAdmit"/> has been answered by Redis (or given up on): it is no longer
    /// counted as in flight (the counters seen since include it).</summary>
    public void Landed(string client, long minute, long tokens)
    {
        if (!_views.TryGetValue(client, out var view))
        {
            return;
        }

        lock (view)
        {
            if (view.Minute == minute)
            {
                view.InFlightRequests = Math.Max(0, view.InFlightRequests - 1);
                view.InFlightTokens = Math.Max(0, view.InFlightTokens - tokens);
            }
        }
    }

    /// <summary>No limit (0), or the count with what may come within the horizon at most half of it.</summary>
    private static bool Ample(long limit, long count, double growth) => limit <= 0 || count + growth <= limit / 2.0;

    private sealed class View
    {
        public long Minute { get; set; } = long.MinValue;
        public string Period { get; set; } = "";
        public long Requests { get; set; }
        public long MinuteTokens { get; set; }
        public long PeriodTokens { get; set; }
        public DateTimeOffset At { get; set; }
        public bool RatesKnown { get; set; }
        public double RequestRate { get; set; }
        public double TokenRate { get; set; }
        public long InFlightRequests { get; set; }
        public long InFlightTokens { get; set; }
    }
}
