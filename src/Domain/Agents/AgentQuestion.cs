namespace Wrapper.Domain.Agents;

/// <summary>What a caller asks an agent, and what should happen to the conversation thread.</summary>
/// <param name="Message">The user message.</param>
/// <param name="ThreadId">An existing thread to continue; null starts a new one.</param>
/// <param name="KeepThread">True keeps the thread after answering (the answer then carries its id); false deletes it.</param>
/// <param name="Owner">The owner tag of the asking client (a hash of its identity, never its name or key): recorded on a new
/// thread, and the only owner allowed to continue or end an existing one.</param>
public sealed record AgentQuestion(string Message, string? ThreadId = null, bool KeepThread = false, string? Owner = null)
{
    public string Message { get; } = Message ?? throw new ArgumentNullException(nameof(Message));
}
