using System.ComponentModel;
using System.Text.Json.Serialization;
using Wrapper.Application.Chat;

namespace Wrapper.Api.Contracts;

/// <summary>Body of <c>POST /chat</c>: the conversation so far, oldest message first.</summary>
/// <remarks>Every field is checked by the application's validator, so a wrong value is reported as a 400 naming
/// the field (for example <c>messages[0].role</c>) rather than as a deserialisation failure.</remarks>
public sealed class ChatRequest
{
    /// <summary>Required: one or more messages (at most 100 by default). When none has the role <c>system</c>,
    /// the configured system prompt is put first.</summary>
    [JsonPropertyName("messages")]
    public IReadOnlyList<ChatMessageRequest?>? Messages { get; init; }

    /// <summary>Optional: <c>true</c> to receive the answer as server-sent events (<c>text/event-stream</c>):
    /// <c>delta</c> events with the text as it is written, then one <c>done</c> event with the finish reason and the
    /// usage, or an <c>error</c> event if the model service fails after the answer has started.</summary>
    /// <example>false</example>
    [JsonPropertyName("stream")]
    public bool? Stream { get; init; }

    /// <summary>The application request for this body. A null entry becomes an empty message, which the
    /// validator rejects with the field names.</summary>
    public CompleteChat ToCommand() => new(Inputs());

    /// <summary>The streaming request for this body, validated by the same rules.</summary>
    public StreamChat ToStreamCommand() => new(Inputs());

    private List<ChatMessageInput>? Inputs() => Messages?.Select(m => new ChatMessageInput(m?.Role, m?.Content)).ToList();
}

// The one chat-message contract of POST /chat and the MCP chat tool: the XML comments describe it in the OpenAPI
// document, the [Description]s in the tool's input schema.

/// <summary>One message of a conversation.</summary>
public sealed class ChatMessageRequest
{
    /// <summary>Required: <c>system</c>, <c>user</c> or <c>assistant</c>.</summary>
    /// <example>user</example>
    [JsonPropertyName("role")]
    [Description("'system', 'user' or 'assistant'.")]
    public string? Role { get; init; }

    /// <summary>Required: the message text (not blank; at most 32,000 characters by default).</summary>
    /// <example>What is the capital of France?</example>
    [JsonPropertyName("content")]
    [Description("The message text (not blank, at most 32,000 characters by default).")]
    public string? Content { get; init; }
}
