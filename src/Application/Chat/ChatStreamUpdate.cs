namespace Wrapper.Application.Chat;

/// <summary>One piece of a streamed answer: any number of <see cref="ChatStreamDelta"/>s, then exactly one
/// <see cref="ChatStreamCompleted"/> when the answer ended normally.</summary>
public abstract record ChatStreamUpdate;

/// <summary>The next piece of the assistant's text (never empty).</summary>
/// <param name="Content">Text to append to what came before.</param>
public sealed record ChatStreamDelta(string Content) : ChatStreamUpdate;

/// <summary>The last update of a stream that ended normally.</summary>
/// <param name="Model">The model (or deployment) that answered.</param>
/// <param name="FinishReason">Why generation stopped (<c>stop</c>, <c>length</c>, <c>content_filter</c>, ...), if known.</param>
/// <param name="Usage">Token usage of the whole answer, as counted by the model service.</param>
public sealed record ChatStreamCompleted(string Model, string? FinishReason, TokenUsage Usage) : ChatStreamUpdate;
