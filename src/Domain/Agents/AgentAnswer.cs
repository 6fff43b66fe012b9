namespace Wrapper.Domain.Agents;

/// <summary>An agent's answer: clean text (no citation markers) and the sources it cites.</summary>
/// <param name="Content">The answer text with inline markers such as 【3:0†source】 removed.</param>
/// <param name="Citations">Sources, numbered from 1.</param>
/// <param name="ThreadId">The classic conversation thread, when the caller asked to keep it for a follow-up; otherwise null.</param>
/// <param name="ConversationId">The conversation (new protocol), when the caller asked to keep it; otherwise null.</param>
public sealed record AgentAnswer(string Content, IReadOnlyList<Citation> Citations, string? ThreadId = null, string? ConversationId = null);
