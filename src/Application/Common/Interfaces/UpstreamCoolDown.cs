using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>
/// The one rule for "no upstream takes a request now, so answer 429 / 503 with Retry-After", used by the pool when a
/// request finds every circuit closed to it and by the health check before it probes (docs/resilience.md): the wait is
/// until the earliest circuit lets a request through again (at least 1 s); the failure is
/// <see cref="UpstreamFailure.Throttled"/> only when every circuit was opened by throttling, otherwise (any upstream
/// failing, misconfigured, or a mix) <see cref="UpstreamFailure.Unavailable"/>.
/// </summary>
public static class UpstreamCoolDown
{
    private static readonly TimeSpan Shortest = TimeSpan.FromSeconds(1);

    /// <summary>The failure to answer when every upstream's circuit is open; null when at least one would take a
    /// request (closed, or open with its time up).</summary>
    public static UpstreamException? WhenEveryCircuitIsOpen(IReadOnlyList<UpstreamStatus> upstreams, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        return upstreams.Count > 0 && upstreams.All(u => u.Circuit == UpstreamCircuitState.Open && u.OpenUntil > now)
            ? Failure(upstreams, now)
            : null;
    }

    /// <summary>The failure to answer when none of <paramref name="upstreams"/> takes a request now. An upstream that is
    /// not open (e.g. its trial request is in flight) counts as recovering now.</summary>
    public static UpstreamException Failure(IReadOnlyList<UpstreamStatus> upstreams, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        var earliest = upstreams.Count == 0 ? now : upstreams.Min(u => u.Circuit == UpstreamCircuitState.Open && u.OpenUntil is { } until ? until : now);
        var wait = earliest - now;
        if (wait < Shortest)
        {
            wait = Shortest;
        }

        var seconds = Math.Ceiling(wait.TotalSeconds);
        return upstreams.Count > 0 && upstreams.All(u => u.OpenedBecause == UpstreamFailure.Throttled)
            ? new UpstreamException(UpstreamFailure.Throttled, $"Every Azure OpenAI upstream is throttling requests; retry after {seconds:0} s.", wait)
            : new UpstreamException(UpstreamFailure.Unavailable,
                $"Every Azure OpenAI upstream is cooling down after failures ({Summary(upstreams)}); retry after {seconds:0} s.", wait);
    }

    private static string Summary(IEnumerable<UpstreamStatus> upstreams) =>
        string.Join(", ", upstreams.GroupBy(u => u.OpenedBecause?.ToString().ToLowerInvariant() ?? "unknown").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {g.Count()}"));
}
