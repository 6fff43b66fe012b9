using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The raw text of an agent's answer with its annotations, as the service sent them (markers included).</summary>
/// <param name="Text">The answer text; several text parts are joined with a blank line.</param>
/// <param name="Annotations">The annotations, in the service's order, with indexes into <paramref name="Text"/>.</param>
/// <param name="ThreadId">The classic thread, when it is kept for a follow-up; otherwise null.</param>
/// <param name="ConversationId">The conversation (new protocol), when it is kept for a follow-up; otherwise null.</param>
public sealed record AgentReply(string Text, IReadOnlyList<TextAnnotation> Annotations, string? ThreadId, string? ConversationId = null);

/// <summary>One piece of a streamed raw reply: <see cref="AgentReplyDelta"/>s, then one <see cref="AgentReplyCompleted"/>.</summary>
public abstract record AgentReplyUpdate;

/// <summary>More raw answer text, as the service sent it (markers included, possibly split).</summary>
public sealed record AgentReplyDelta(string Text) : AgentReplyUpdate;

/// <summary>The whole raw reply, once the run or response completed.</summary>
public sealed record AgentReplyCompleted(AgentReply Reply) : AgentReplyUpdate;
