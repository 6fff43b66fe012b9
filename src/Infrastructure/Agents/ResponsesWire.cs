using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// The parts of the new agents' JSON this adapter reads and writes: <c>{project}/openai/v1/responses</c> and
/// <c>{project}/openai/v1/conversations</c> (the OpenAI Responses and Conversations shapes with Foundry's
/// <c>agent_reference</c>), and <c>{project}/agents/{name}</c> (snake_case on the wire, <see cref="AgentServiceWire.Json"/>).
/// </summary>
internal static class ResponsesWire
{
    /// <summary><c>{"type":"agent_reference","name","version"?}</c>: which agent answers (AgentReference of
    /// specification/ai-foundry/Azure.AI.Projects/responses/models.tsp).</summary>
    public sealed record AgentReference(string Name, string? Version)
    {
        public string Type => "agent_reference";
    }

    /// <summary>The body of <c>POST /openai/v1/responses</c>. <c>store</c> false keeps nothing on the service (a question
    /// without a conversation); a conversation needs it true (the default).</summary>
    public sealed record CreateResponseRequest(AgentReference AgentReference, string Input, string? Conversation, bool? Store, bool? Stream);

    /// <summary>The body of <c>POST /openai/v1/conversations</c>: no items, only metadata (up to 16 pairs).</summary>
    public sealed record CreateConversationRequest(IReadOnlyDictionary<string, string>? Metadata);

    /// <summary>A conversation (<c>{"id","object":"conversation","created_at","metadata"}</c>).</summary>
    public sealed record ConversationObject(string? Id, Dictionary<string, string?>? Metadata);

    /// <summary>A response: <c>status</c> is <c>completed</c>, <c>failed</c>, <c>in_progress</c>, <c>cancelled</c>,
    /// <c>queued</c> or <c>incomplete</c>.</summary>
    public sealed record ResponseObject(string? Id, string? Status, ResponseError? Error, IncompleteDetails? IncompleteDetails,
        List<OutputItem>? Output, JsonElement? Conversation)
    {
        public bool IsTerminal => Status is "completed" or "failed" or "cancelled" or "incomplete";

        /// <summary>The conversation id, whether the service wrote <c>{"id": …}</c> or a bare string.</summary>
        public string? ConversationId => Conversation switch
        {
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { ValueKind: JsonValueKind.Object } obj when obj.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String => id.GetString(),
            _ => null,
        };
    }

    public sealed record ResponseError(string? Code, string? Message);

    public sealed record IncompleteDetails(string? Reason);

    /// <summary>An output item; answers are items of type <c>message</c> with role <c>assistant</c>.</summary>
    public sealed record OutputItem(string? Type, string? Id, string? Role, List<OutputContent>? Content);

    /// <summary>A content part; the answer text is in parts of type <c>output_text</c>.</summary>
    public sealed record OutputContent(string? Type, string? Text, List<OutputAnnotation>? Annotations);

    /// <summary><c>url_citation</c> {url, title, start_index, end_index}; <c>file_citation</c> {file_id, filename, index}.</summary>
    public sealed record OutputAnnotation(string? Type, string? Url, string? Title, int? StartIndex, int? EndIndex, string? FileId,
        string? Filename, int? Index, string? Text);

    /// <summary>The streamed events read here (<c>type</c> repeats the SSE event name): <c>response.created</c>,
    /// <c>response.output_text.delta</c>, <c>response.output_text.annotation.added</c>, <c>response.completed</c>,
    /// <c>response.failed</c>, <c>response.incomplete</c>, <c>error</c>.</summary>
    public sealed record StreamEvent(string? Type, ResponseObject? Response, string? Delta, string? ItemId, int? OutputIndex, int? ContentIndex,
        OutputAnnotation? Annotation, string? Code, string? Message, ResponseError? Error);

    /// <summary>A new agent (<c>GET /agents/{name}</c>) or one of its versions: the parts read here.</summary>
    public sealed record AgentObject(string? Id, string? Name, string? Version);
}
