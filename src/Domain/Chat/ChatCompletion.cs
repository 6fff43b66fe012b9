namespace Wrapper.Domain.Chat;

/// <summary>The assistant's answer to a conversation, with the model that wrote it and what it cost.</summary>
/// <param name="Content">The assistant's text.</param>
/// <param name="Model">The model (or deployment) that answered.</param>
/// <param name="FinishReason">Why generation stopped (<c>stop</c>, <c>length</c>, <c>content_filter</c>, ...), if known.</param>
/// <param name="Usage">Token usage.</param>
public sealed record ChatCompletion(string Content, string Model, string? FinishReason, TokenUsage Usage);
