namespace Wrapper.Application.Quotas;

/// <summary>Which limit refused a request.</summary>
public enum QuotaLimit
{
    /// <summary>Requests per minute: 429 <c>client_rate_limited</c>.</summary>
    RequestsPerMinute,
    /// <summary>Tokens per minute: 429 <c>client_token_limit</c>.</summary>
    TokensPerMinute,
    /// <summary>The token quota of the period: 403 <c>client_quota_exceeded</c>.</summary>
    TokenQuota,
}

/// <summary>What a client asks to spend before an upstream call.</summary>
/// <param name="Client">The client's partition (<c>client:&lt;name&gt;</c>, <c>subscriber:&lt;id&gt;</c>, <c>ip:&lt;address&gt;</c>).</param>
/// <param name="Limits">Its limits.</param>
/// <param name="Tokens">The estimated token cost (0 for a request counted only as a request).</param>
public sealed record QuotaRequest(string Client, ClientLimits Limits, long Tokens);

/// <summary>An admitted request's hold on the client's counters, until <see cref="IClientQuota.CorrectAsync"/> replaces
/// <see cref="Tokens"/> by the real usage (exactly once, however often it is called).</summary>
/// <param name="Id">Unique per reservation: what makes the correction idempotent.</param>
/// <param name="Client">The client's partition.</param>
/// <param name="Minute">The minute window it was counted in (<see cref="QuotaWindows.Minute"/>).</param>
/// <param name="Period">The quota period it was counted in (<see cref="QuotaWindows.Period"/>).</param>
/// <param name="Tokens">The tokens reserved.</param>
/// <param name="Store">Which store holds it (the adapter's business: shared or local).</param>
public sealed record QuotaReservation(string Id, string Client, long Minute, string Period, long Tokens, string Store);

/// <summary>The answer to a reservation: admitted (with its <see cref="Reservation"/>) or refused (with the limit and
/// when to retry), and what is left to the client either way.</summary>
/// <param name="Reservation">Null when refused.</param>
/// <param name="Refused">The limit that refused the request; null when admitted.</param>
/// <param name="RetryAfter">When a refused request may succeed again.</param>
/// <param name="ResetsAt">When the refusing window (minute or quota period) starts again.</param>
/// <param name="RemainingRequests">Requests left this minute; null when unlimited.</param>
/// <param name="RemainingTokens">Tokens left (the smaller of this minute's and the period's); null when unlimited.</param>
public sealed record QuotaDecision(
    QuotaReservation? Reservation,
    QuotaLimit? Refused,
    TimeSpan RetryAfter,
    DateTimeOffset? ResetsAt,
    long? RemainingRequests,
    long? RemainingTokens)
{
    public bool Admitted => Refused is null;
}
