using Wrapper.Application.Quotas;

namespace Wrapper.Application.Common.Exceptions;

/// <summary>The client is over one of its limits (<see cref="QuotaOptions"/>): 429 for a per-minute limit, 403 for a
/// used-up token quota. Caused by the client, never by the service or its upstreams. <see cref="Exception.Message"/> is
/// safe to show.</summary>
public sealed class ClientQuotaExceededException : Exception
{
    public ClientQuotaExceededException(QuotaDecision decision)
        : base(MessageFor(decision))
    {
        ArgumentNullException.ThrowIfNull(decision);
        Limit = decision.Refused ?? throw new ArgumentException("The decision admitted the request.", nameof(decision));
        RetryAfter = decision.RetryAfter;
        ResetsAt = decision.ResetsAt;
        Decision = decision;
    }

    /// <summary>The limit that refused the request.</summary>
    public QuotaLimit Limit { get; }

    /// <summary>When the request may succeed again.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>When the refusing window starts again.</summary>
    public DateTimeOffset? ResetsAt { get; }

    /// <summary>The whole decision (what is left, for the response headers).</summary>
    public QuotaDecision Decision { get; }

    private static string MessageFor(QuotaDecision decision) => decision.Refused switch
    {
        QuotaLimit.RequestsPerMinute => "This client sent more requests this minute than its limit allows; retry after the indicated delay.",
        QuotaLimit.TokensPerMinute => "This client used more model tokens this minute than its limit allows; retry after the indicated delay.",
        QuotaLimit.TokenQuota => $"This client's token quota is used up until {decision.ResetsAt:yyyy-MM-ddTHH:mm:ssZ}.",
        _ => "This client is over its limit.",
    };
}
