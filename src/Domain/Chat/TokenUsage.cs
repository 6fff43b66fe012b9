namespace Wrapper.Domain.Chat;

/// <summary>Tokens spent by one completion, as counted by the model service.</summary>
public sealed record TokenUsage
{
    public TokenUsage(int promptTokens, int completionTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(completionTokens);
        PromptTokens = promptTokens;
        CompletionTokens = completionTokens;
    }

    public int PromptTokens { get; }
    public int CompletionTokens { get; }
    public int TotalTokens => PromptTokens + CompletionTokens;

    public static TokenUsage None { get; } = new(0, 0);
}
