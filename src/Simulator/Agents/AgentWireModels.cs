using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Wrapper.Simulator.Agents;

// Wire shapes of the Agent Service, field for field as the official @azure/ai-agents 1.1.0 client reads them
// (models.js: agentDeserializer, agentThreadDeserializer, threadMessageDeserializer, threadRunDeserializer, ...).
// Null fields are written as null, as the service does.

/// <summary>JSON settings of the Agent Service wire format: snake_case names, nulls written.</summary>
public static class AgentJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

public sealed record AssistantObject(
    string Id,
    string Object,
    long CreatedAt,
    string Name,
    string? Description,
    string Model,
    string Instructions,
    JsonArray Tools,
    JsonObject ToolResources,
    double Temperature,
    double TopP,
    string ResponseFormat,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record ThreadObject(
    string Id,
    string Object,
    long CreatedAt,
    JsonObject ToolResources,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record DeletionStatus(string Id, string Object, bool Deleted);

public sealed record MessageObject(
    string Id,
    string Object,
    long CreatedAt,
    string ThreadId,
    string Status,
    IncompleteDetails? IncompleteDetails,
    long? CompletedAt,
    long? IncompleteAt,
    string Role,
    IReadOnlyList<MessageTextContent> Content,
    string? AssistantId,
    string? RunId,
    IReadOnlyList<JsonObject> Attachments,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record IncompleteDetails(string Reason);

public sealed record MessageTextContent(string Type, MessageText Text);

public sealed record MessageText(string Value, IReadOnlyList<TextAnnotation> Annotations);

/// <summary>A <c>url_citation</c> or <c>file_citation</c> annotation; the member of the other kind is omitted.</summary>
public sealed record TextAnnotation(
    string Type,
    string Text,
    int StartIndex,
    int EndIndex,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UrlCitation? UrlCitation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FileCitation? FileCitation);

public sealed record UrlCitation(string Url, string Title);

public sealed record FileCitation(string FileId, string? Quote);

public sealed record RunObject(
    string Id,
    string Object,
    long CreatedAt,
    string ThreadId,
    string AssistantId,
    string Status,
    JsonObject? RequiredAction,
    RunError? LastError,
    string Model,
    string Instructions,
    JsonArray Tools,
    JsonObject ToolResources,
    long? ExpiresAt,
    long? StartedAt,
    long? CompletedAt,
    long? CancelledAt,
    long? FailedAt,
    IncompleteDetails? IncompleteDetails,
    RunUsage? Usage,
    double Temperature,
    double TopP,
    int? MaxPromptTokens,
    int? MaxCompletionTokens,
    TruncationStrategy TruncationStrategy,
    string ToolChoice,
    string ResponseFormat,
    bool ParallelToolCalls,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record RunError(string Code, string Message);

public sealed record RunUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record TruncationStrategy(string Type, int? LastMessages);

public sealed record ListPage<T>(string Object, IReadOnlyList<T> Data, string? FirstId, string? LastId, bool HasMore);

public sealed record AgentErrorEnvelope(AgentErrorBody Error);

/// <summary>The service's error body (<c>agentErrorDetailDeserializer</c>: message, type, param, code).</summary>
public sealed record AgentErrorBody(string Code, string Message, string? Type, string? Param);
