namespace Wrapper.Domain.Chat;

/// <summary>Who wrote a chat message. Only the three roles the chat-completions protocol accepts from callers.</summary>
public enum ChatRole
{
    System,
    User,
    Assistant,
}
