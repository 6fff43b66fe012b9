using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The parts of the Agent Service's JSON this adapter reads and writes (snake_case on the wire).</summary>
internal static class AgentServiceWire
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public sealed record CreateMessageRequest(string Role, string Content);

    /// <summary>The body of <c>POST /threads</c>: no messages, only metadata (up to 16 pairs, keys up to 64 characters,
    /// values up to 512: <c>ThreadsCreateThreadOptionalParams.metadata</c> of @azure/ai-agents 1.1.0).</summary>
    public sealed record CreateThreadRequest(IReadOnlyDictionary<string, string>? Metadata);

    /// <summary>A thread (<c>{"id","object":"thread","created_at","tool_resources","metadata"}</c>): the parts read here.</summary>
    public sealed record ThreadObject(string? Id, Dictionary<string, string?>? Metadata);

    public sealed record CreateRunRequest(string AssistantId);

    /// <summary>The body of a streamed run (<c>stream: true</c>, <c>ThreadRunsCreateOptionalParams.stream</c> of
    /// @azure/ai-agents 1.1.0).</summary>
    public sealed record CreateStreamingRunRequest(string AssistantId, bool Stream);

    /// <summary>A <c>thread.message.delta</c> event: <c>{"id","object":"thread.message.delta","delta":{"content":[{"index",
    /// "type":"text","text":{"value","annotations"}}]}}</c>.</summary>
    public sealed record MessageDelta(string? Id, MessageDeltaBody? Delta);

    public sealed record MessageDeltaBody(List<MessageDeltaContent>? Content);

    public sealed record MessageDeltaContent(int? Index, string? Type, MessageText? Text);

    /// <summary>An <c>error</c> event's data (<c>{"error":{"code","message"}}</c> or the fields at the top).</summary>
    public sealed record StreamError(RunError? Error, string? Code, string? Message);

    public sealed record IdObject(string? Id);

    public sealed record RunObject(string? Id, string? Status, RunError? LastError, IncompleteDetails? IncompleteDetails);

    public sealed record RunList(List<RunObject>? Data);

    public sealed record RunError(string? Code, string? Message);

    public sealed record IncompleteDetails(string? Reason);

    public sealed record MessageList(List<MessageObject>? Data, bool HasMore, string? LastId);

    public sealed record MessageObject(string? Id, string? Role, string? RunId, List<MessageContent>? Content);

    public sealed record MessageContent(string? Type, MessageText? Text);

    public sealed record MessageText(string? Value, List<Annotation>? Annotations);

    public sealed record Annotation(string? Type, string? Text, int? StartIndex, int? EndIndex, UrlCitation? UrlCitation, FileCitation? FileCitation);

    public sealed record UrlCitation(string? Url, string? Title);

    public sealed record FileCitation(string? FileId, string? Quote);
}
