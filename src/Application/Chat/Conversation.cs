namespace Wrapper.Application.Chat;

/// <summary>A conversation as a caller sent it: what <see cref="CompleteChat"/> and <see cref="StreamChat"/> share,
/// so that both are validated by the same rules (<see cref="ConversationValidator{T}"/>).</summary>
public interface IConversationRequest
{
    /// <summary>The messages, oldest first; null when the caller sent none.</summary>
    IReadOnlyList<ChatMessageInput>? Messages { get; }
}

/// <summary>Turns a validated conversation into the messages sent to the model.</summary>
public static class Conversation
{
    /// <summary>The caller's messages, with <paramref name="systemPrompt"/> put first when none of them is a system
    /// message. The roles must have been validated already.</summary>
    public static IReadOnlyList<ChatMessage> ToMessages(IReadOnlyList<ChatMessageInput>? input, string systemPrompt)
    {
        input ??= [];
        var messages = new List<ChatMessage>(input.Count + 1);
        foreach (var m in input)
        {
            // The validator has accepted the role already; parsing cannot fail here.
            messages.Add(new ChatMessage(ChatRoles.Parse(m.Role!), m.Content!));
        }

        if (!messages.Exists(m => m.Role == ChatRole.System))
        {
            messages.Insert(0, ChatMessage.System(systemPrompt));
        }

        return messages;
    }
}
