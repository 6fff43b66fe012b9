using System.Text.Json.Serialization;
using Wrapper.Domain.Chat;

namespace Wrapper.Api.Contracts;

/// <summary>The assistant's answer, as returned by <c>GET /completion</c> and <c>POST /chat</c>.</summary>
public sealed class CompletionResponse
{
    /// <summary>The assistant's text.</summary>
    /// <example>I'm doing well, thank you! How can I help you today?</example>
    [JsonPropertyName("content")]
    public required string Content { get; init; }

    /// <summary>The model (deployment) that answered.</summary>
    /// <example>gpt-4o-mini</example>
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    /// <summary>Why generation stopped: <c>stop</c>, <c>length</c>, <c>content_filter</c>, ...; null when the model service did not say.</summary>
    /// <example>stop</example>
    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; init; }

    /// <summary>Tokens spent by this answer, as counted by the model service.</summary>
    [JsonPropertyName("usage")]
    public required UsageResponse Usage { get; init; }

    public static CompletionResponse From(ChatCompletion completion) => new()
    {
        Content = completion.Content,
        Model = completion.Model,
        FinishReason = completion.FinishReason,
        Usage = new UsageResponse
        {
            PromptTokens = completion.Usage.PromptTokens,
            CompletionTokens = completion.Usage.CompletionTokens,
            TotalTokens = completion.Usage.TotalTokens,
        },
    };
}

/// <summary>Token usage of one answer.</summary>
public sealed class UsageResponse
{
    /// <summary>Tokens in the prompt (system prompt and conversation).</summary>
    /// <example>24</example>
    [JsonPropertyName("prompt_tokens")]
    public required int PromptTokens { get; init; }

    /// <summary>Tokens in the answer.</summary>
    /// <example>12</example>
    [JsonPropertyName("completion_tokens")]
    public required int CompletionTokens { get; init; }

    /// <summary>Sum of prompt and completion tokens.</summary>
    /// <example>36</example>
    [JsonPropertyName("total_tokens")]
    public required int TotalTokens { get; init; }
}
