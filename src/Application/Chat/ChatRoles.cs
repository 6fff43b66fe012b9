namespace Wrapper.Application.Chat;

/// <summary>The wire names of <see cref="ChatRole"/> (lower case, as in the chat-completions protocol).</summary>
public static class ChatRoles
{
    public static readonly IReadOnlyList<string> Names = ["system", "user", "assistant"];

    public static bool TryParse(string? name, out ChatRole role)
    {
        switch (name)
        {
            case "system": role = ChatRole.System; return true;
            case "user": role = ChatRole.User; return true;
            case "assistant": role = ChatRole.Assistant; return true;
            default: role = default; return false;
        }
    }

    public static ChatRole Parse(string name) =>
        TryParse(name, out var role) ? role : throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown chat role.");

    public static string ToName(this ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown chat role."),
    };
}
