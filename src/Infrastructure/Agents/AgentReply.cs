using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The raw text of an agent's answer with its annotations, as the service sent them (markers included).</summary>
/// <param name="Text">The answer text; several text parts are joined with a blank line.</param>
/// <param name="Annotations">The annotations, in the service's order, with indexes into <paramref name="Text"/>.</param>
/// <param name="ThreadId">The thread, when it is kept for a follow-up; otherwise null.</param>
public sealed record AgentReply(string Text, IReadOnlyList<TextAnnotation> Annotations, string? ThreadId);
