using Wrapper.Application.Quotas;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>The decision both stores take from the counters, so that Redis and memory answer alike.</summary>
internal static class QuotaArithmetic
{
    /// <summary>The shortest Retry-After: a refusal in the last instant of a window still asks for one second.</summary>
    private static readonly TimeSpan ShortestWait = TimeSpan.FromSeconds(1);

    /// <summary>Which limit a request of <paramref name="tokens"/> would break given the counters before it, or null.
    /// A request larger than the whole per-minute token limit is admitted into an empty minute, so that it is not
    /// refused for ever.</summary>
    public static QuotaLimit? Refusal(ClientLimits limits, long requests, long minuteTokens, long periodTokens, long tokens)
    {
        if (limits.RequestsPerMinute > 0 && requests + 1 > limits.RequestsPerMinute)
        {
            return QuotaLimit.RequestsPerMinute;
        }

        if (limits.TokensPerMinute > 0 && tokens > 0 && minuteTokens + tokens > limits.TokensPerMinute && minuteTokens > 0)
        {
            return QuotaLimit.TokensPerMinute;
        }

        if (limits.TokenQuota > 0 && tokens > 0 && periodTokens + tokens > limits.TokenQuota)
        {
            return QuotaLimit.TokenQuota;
        }

        return null;
    }

    /// <summary>The decision, from the counters after the reservation (admitted) or as they were (refused).</summary>
    public static QuotaDecision Decide(QuotaRequest request, DateTimeOffset now, QuotaLimit? refused, long requests, long minuteTokens,
        long periodTokens, QuotaReservation? reservation)
    {
        var limits = request.Limits;
        var minute = QuotaWindows.Minute(now);
        var period = QuotaWindows.Period(now, limits.QuotaPeriod);
        long? remainingRequests = limits.RequestsPerMinute > 0 ? Math.Max(0, limits.RequestsPerMinute - requests) : null;
        long? remainingTokens = null;
        if (limits.TokensPerMinute > 0)
        {
            remainingTokens = Math.Max(0, limits.TokensPerMinute - minuteTokens);
        }

        if (limits.TokenQuota > 0)
        {
            var left = Math.Max(0, limits.TokenQuota - periodTokens);
            remainingTokens = remainingTokens is { } tpm ? Math.Min(tpm, left) : left;
        }

        var resetsAt = refused == QuotaLimit.TokenQuota ? period.EndsAt : minute.EndsAt;
        var wait = refused is null ? TimeSpan.Zero : resetsAt - now;
        if (refused is not null && wait < ShortestWait)
        {
            wait = ShortestWait;
        }

        return new QuotaDecision(reservation, refused, wait, refused is null ? null : resetsAt, remainingRequests, remainingTokens);
    }
}
