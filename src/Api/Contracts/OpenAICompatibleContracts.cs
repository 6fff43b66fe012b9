using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Wrapper.Api.Contracts;

// The OpenAI-compatible routes read and answer raw JSON (every field passes through); these types describe the usual
// fields in the "openai" OpenAPI document and shape the model list.

/// <summary>OpenAI's chat-completions request (the fields most clients send; any other field passes through as well).</summary>
public sealed record OpenAIChatCompletionRequest
{
    /// <summary>A public model name of <c>GET /openai/v1/models</c> (v1 route; the Azure route takes it from the path).</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>The conversation: <c>{"role":"system"|"developer"|"user"|"assistant"|"tool","content":...}</c>, with
    /// <c>tool_calls</c> on assistant messages and <c>tool_call_id</c> on tool messages.</summary>
    [JsonPropertyName("messages")]
    public required IReadOnlyList<JsonObject> Messages { get; init; }

    /// <summary>Stream the answer as server-sent events; the service always asks for the usage chunk at the end.</summary>
    [JsonPropertyName("stream")]
    public bool? Stream { get; init; }

    /// <summary>Most tokens of the answer (reserved against the client's token limits until the real usage is known).</summary>
    [JsonPropertyName("max_completion_tokens")]
    public int? MaxCompletionTokens { get; init; }

    /// <summary>Older name of <c>max_completion_tokens</c>.</summary>
    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; init; }

    /// <summary>Functions the model may call; passed through.</summary>
    [JsonPropertyName("tools")]
    public IReadOnlyList<JsonObject>? Tools { get; init; }

    /// <summary>Passed through.</summary>
    [JsonPropertyName("tool_choice")]
    public JsonNode? ToolChoice { get; init; }

    /// <summary>Passed through (<c>{"type":"json_object"}</c>, <c>{"type":"json_schema",...}</c>).</summary>
    [JsonPropertyName("response_format")]
    public JsonObject? ResponseFormat { get; init; }

    /// <summary>Passed through.</summary>
    [JsonPropertyName("temperature")]
    public double? Temperature { get; init; }

    /// <summary>Passed through.</summary>
    [JsonPropertyName("seed")]
    public long? Seed { get; init; }
}

/// <summary>A <c>chat.completion</c> as the model service answered it (Azure adds <c>prompt_filter_results</c> and
/// <c>content_filter_results</c>); streamed, <c>chat.completion.chunk</c> events of the same shape with <c>delta</c>.</summary>
public sealed record OpenAIChatCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<JsonObject> Choices,
    [property: JsonPropertyName("usage")] JsonObject? Usage);

/// <summary>OpenAI's error answer.</summary>
public sealed record OpenAIErrorResponse([property: JsonPropertyName("error")] OpenAIError Error);

/// <summary>What went wrong: <c>message</c> to show, <c>type</c> (<c>invalid_request_error</c>, <c>insufficient_quota</c>,
/// <c>requests</c>, <c>tokens</c>, <c>server_error</c>), the field at fault, and the machine-readable <c>code</c>.</summary>
public sealed record OpenAIError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>OpenAI's model list.</summary>
public sealed record OpenAIModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<OpenAIModel> Data);

/// <summary>One model served: its public name as <c>id</c>.</summary>
public sealed record OpenAIModel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy);
