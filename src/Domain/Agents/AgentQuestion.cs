namespace Wrapper.Domain.Agents;

/// <summary>What a caller asks an agent, and what should happen to the conversation it runs on.</summary>
/// <param name="Message">The user message.</param>
/// <param name="ThreadId">An existing classic thread to continue (classic agents only); null starts a new one.</param>
/// <param name="KeepThread">True keeps the thread or conversation after answering (the answer then carries its id); false
/// deletes it.</param>
/// <param name="Owner">The owner tag of the asking client (a hash of its identity, never its name or key): recorded on a new
/// thread or conversation, and the only owner allowed to continue or end an existing one.</param>
/// <param name="ConversationId">An existing conversation to continue (agents on <see cref="AgentProtocol.Responses"/>
/// only); null starts a new one.</param>
public sealed record AgentQuestion(string Message, string? ThreadId = null, bool KeepThread = false, string? Owner = null,
    string? ConversationId = null)
{
    public string Message { get; } = Message ?? throw new ArgumentNullException(nameof(Message));
}
