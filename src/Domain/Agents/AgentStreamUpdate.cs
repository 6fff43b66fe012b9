namespace Wrapper.Domain.Agents;

/// <summary>One piece of a streamed agent answer: <see cref="AgentTextDelta"/>s, then exactly one
/// <see cref="AgentAnswerCompleted"/>.</summary>
public abstract record AgentStreamUpdate;

/// <summary>More answer text, with citation markers already removed (a marker split across upstream deltas is held back
/// until it can be recognised). The concatenated deltas equal the final <see cref="AgentAnswer.Content"/> up to
/// whitespace trimming.</summary>
public sealed record AgentTextDelta(string Text) : AgentStreamUpdate;

/// <summary>The end of the stream: the whole answer, its numbered citations and the kept thread or conversation id.</summary>
public sealed record AgentAnswerCompleted(AgentAnswer Answer) : AgentStreamUpdate;
