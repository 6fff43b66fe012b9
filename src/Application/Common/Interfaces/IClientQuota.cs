using Wrapper.Application.Quotas;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: the per-client request and token counters (Redis shared by every instance, or this process's memory).</summary>
/// <remarks>Never throws for a failure of its store: a store that is down or slow gives way to this instance's own
/// counters (fail open), so that no request fails because the counters did.</remarks>
public interface IClientQuota
{
    /// <summary>Checks every limit of the client and, when all admit it, counts one request and reserves
    /// <see cref="QuotaRequest.Tokens"/>, atomically.</summary>
    ValueTask<QuotaDecision> ReserveAsync(QuotaRequest request, CancellationToken cancellationToken);

    /// <summary>Replaces the reserved tokens by <paramref name="actual"/> (the usage the model reported). Applies once per
    /// reservation however often it is called; a window that has ended meanwhile is left alone.</summary>
    ValueTask CorrectAsync(QuotaReservation reservation, TokenUsage actual);
}

/// <summary>Port: counts prompt tokens the way the model service bills them (the o200k encoding of gpt-4o).</summary>
public interface IPromptTokenCounter
{
    /// <summary>The prompt tokens of <paramref name="messages"/>, message overhead included.</summary>
    int CountPrompt(IReadOnlyList<ChatMessage> messages);
}

/// <summary>Port: where the quota counters live now, for /health/ready.</summary>
public interface IQuotaStoreState
{
    /// <summary><c>redis</c> (shared), <c>memory</c> (this instance only: no Redis configured) or <c>memory-fallback</c>
    /// (Redis configured but unreachable or slow: limits hold per instance until it answers again).</summary>
    string Store { get; }

    /// <summary>True when Redis is configured but the counters fell back to memory.</summary>
    bool Degraded { get; }
}
