using System.ComponentModel.DataAnnotations;

namespace Wrapper.Application.Common;

/// <summary>What the chat and completion use cases accept and add. Bound from configuration section <c>Chat</c>
/// (and OPENAI_PROMPT for <see cref="SystemPrompt"/>).</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary>System prompt used by /completion, and by /chat when the conversation has no system message.</summary>
    [Required(AllowEmptyStrings = false)]
    public string SystemPrompt { get; set; } = "You are a helpful assistant.";

    /// <summary>Most messages one /chat request may carry.</summary>
    [Range(1, 10_000)]
    public int MaxMessages { get; set; } = 100;

    /// <summary>Longest single message content, or /completion query, in characters.</summary>
    [Range(1, 10_000_000)]
    public int MaxMessageLength { get; set; } = 32_000;

    /// <summary>Largest total content of one /chat conversation, in characters.</summary>
    [Range(1, 10_000_000)]
    public int MaxTotalLength { get; set; } = 128_000;
}
