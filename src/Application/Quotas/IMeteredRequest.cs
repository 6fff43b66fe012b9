using Wrapper.Application.Common;

namespace Wrapper.Application.Quotas;

/// <summary>A request that counts against the caller's limits (<see cref="QuotaBehaviour{TRequest,TResponse}"/>): one
/// request, plus the model tokens of its prompt and answer when <see cref="Prompt"/> gives the prompt.</summary>
public interface IMeteredRequest
{
    /// <summary>The messages sent to the model (system prompt included) when the request spends model tokens the service
    /// can count; null when it is counted as a request only (agents: their runs' tokens are not reported to us).</summary>
    IReadOnlyList<ChatMessage>? Prompt(ChatOptions options);

    /// <summary>The most completion tokens the request allows (its <c>max_completion_tokens</c> or <c>max_tokens</c>, times
    /// <c>n</c>), reserved instead of <see cref="QuotaOptions.EstimatedCompletionTokens"/>; null when it sets none.</summary>
    int? MaxOutputTokens => null;
}

/// <summary>The outcome of the current request's quota check, for the response headers (scoped: one per request).</summary>
public sealed class QuotaStatus
{
    /// <summary>The last decision taken for this request, or null when none was (not a metered request, or limits off).</summary>
    public QuotaDecision? Decision { get; set; }
}
