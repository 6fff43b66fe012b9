using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Application.Agents;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.Api.Contracts;

/// <summary>Optional JSON body of <c>POST /bing-grounding</c> and <c>POST /agents/{name}</c>. Each field may also be
/// given in the query string (<see cref="AgentQuestionQuery"/>), which wins when both are present.</summary>
public sealed class AgentQuestionRequest
{
    /// <summary>The question (required here or as <c>?query=</c>; not blank; at most 32,000 characters by default).</summary>
    /// <example>What happened in finance today?</example>
    [JsonPropertyName("query")]
    public string? Query { get; init; }

    /// <summary>Continue this conversation (the <c>thread_id</c> of an earlier answer). No example on purpose: a
    /// made-up id names no thread, so Swagger UI's "Try it out" would fail with it.</summary>
    [JsonPropertyName("thread_id")]
    public string? ThreadId { get; init; }

    /// <summary>Continue this conversation (the <c>conversation_id</c> of an earlier answer), for an agent on the new
    /// Agent Service protocol; a classic agent takes <c>thread_id</c> instead, and sending the other kind, or both, is a 400
    /// naming the field. No example, for the same reason as <c>thread_id</c>.</summary>
    [JsonPropertyName("conversation_id")]
    public string? ConversationId { get; init; }

    /// <summary>Keep the conversation (thread or conversation) after answering, and return its <c>thread_id</c> or
    /// <c>conversation_id</c>. Defaults to true when <c>thread_id</c> or <c>conversation_id</c> is given (false then ends the
    /// conversation and deletes it), false otherwise.</summary>
    [JsonPropertyName("keep_thread")]
    public bool? KeepThread { get; init; }

    /// <summary><c>true</c> to receive the answer as server-sent events (<c>text/event-stream</c>): <c>delta</c> events
    /// <c>{"content"}</c> with the text as it is written, then one <c>done</c> event with the whole answer
    /// (<c>{"content","citations","thread_id"?,"conversation_id"?}</c>), or an <c>error</c> event if the agent fails after the
    /// answer has started.</summary>
    /// <example>false</example>
    [JsonPropertyName("stream")]
    public bool? Stream { get; init; }

    /// <summary>The question to the Bing-grounded agent (<c>POST /bing-grounding</c>).</summary>
    public AskGroundedQuestion ToGroundedQuestion() => new(Query, ThreadId, KeepThread, ConversationId);

    /// <summary>The same question, answered as a stream.</summary>
    public StreamGroundedAnswer ToGroundedStream() => new(Query, ThreadId, KeepThread, ConversationId);

    /// <summary>The question to the named agent (<c>POST /agents/{name}</c>).</summary>
    public AskAgent ToAgentQuestion(string agent) => new(agent, Query, ThreadId, KeepThread, ConversationId);

    /// <summary>The same question, answered as a stream.</summary>
    public StreamAgentAnswer ToAgentStream(string agent) => new(agent, Query, ThreadId, KeepThread, ConversationId);
}

/// <summary>The question's fields in the query string of <c>POST /bing-grounding</c> and <c>POST /agents/{name}</c>.</summary>
public sealed class AgentQuestionQuery
{
    /// <summary>The question (overrides the body's).</summary>
    [FromQuery(Name = "query")]
    public string? Query { get; init; }

    /// <summary>Continue this conversation (overrides the body's).</summary>
    [FromQuery(Name = "thread_id")]
    public string? ThreadId { get; init; }

    /// <summary>Continue this conversation of an agent on the new protocol (overrides the body's).</summary>
    [FromQuery(Name = "conversation_id")]
    public string? ConversationId { get; init; }

    /// <summary>Keep the thread or conversation after answering (overrides the body's).</summary>
    [FromQuery(Name = "keep_thread")]
    public bool? KeepThread { get; init; }

    /// <summary>Answer as server-sent events (overrides the body's).</summary>
    [FromQuery(Name = "stream")]
    public bool? Stream { get; init; }

    /// <summary>The question as asked, the one home of the rule "a field in the query string wins over the body's".</summary>
    public AgentQuestionRequest Over(AgentQuestionRequest? body) => new()
    {
        Query = Query ?? body?.Query,
        ThreadId = ThreadId ?? body?.ThreadId,
        ConversationId = ConversationId ?? body?.ConversationId,
        KeepThread = KeepThread ?? body?.KeepThread,
        Stream = Stream ?? body?.Stream,
    };
}

/// <summary>An agent's answer: the text without citation markers, and the sources it cites.</summary>
public sealed class AgentAnswerResponse
{
    /// <summary>The answer, with markers such as 【3:0†source】 removed.</summary>
    /// <example>Major stock indexes rose on Tuesday as bond yields eased.</example>
    [JsonPropertyName("content")]
    public required string Content { get; init; }

    /// <summary>The sources, numbered from 1 in the order the answer first cites them; a source cited twice is listed once.</summary>
    [JsonPropertyName("citations")]
    public required IReadOnlyList<CitationResponse> Citations { get; init; }

    /// <summary>The conversation thread, present only when it was kept (see <c>keep_thread</c>); pass it back as
    /// <c>thread_id</c> to ask a follow-up question.</summary>
    /// <example>thread_abc123</example>
    [JsonPropertyName("thread_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ThreadId { get; init; }

    /// <summary>The conversation of an agent on the new protocol, present only when it was kept (see <c>keep_thread</c>);
    /// pass it back as <c>conversation_id</c> to ask a follow-up question. An answer carries at most one of
    /// <c>thread_id</c> and <c>conversation_id</c>.</summary>
    /// <example>conv_abc123</example>
    [JsonPropertyName("conversation_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConversationId { get; init; }

    public static AgentAnswerResponse From(AgentAnswer answer) => new()
    {
        Content = answer.Content,
        Citations = answer.Citations.Select(CitationResponse.From).ToList(),
        ThreadId = answer.ThreadId,
        ConversationId = answer.ConversationId,
    };
}

/// <summary>One numbered source.</summary>
public sealed class CitationResponse
{
    /// <summary>1-based number.</summary>
    /// <example>1</example>
    [JsonPropertyName("id")]
    public required int Id { get; init; }

    /// <summary><c>url</c> for a web page, <c>file</c> for an uploaded file.</summary>
    /// <example>url</example>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>The page address, or the file id for a file.</summary>
    /// <example>https://www.example.com/markets/today</example>
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary>The page title; the url (or file id) when the service gave none.</summary>
    /// <example>Markets today | Example News</example>
    [JsonPropertyName("title")]
    public required string Title { get; init; }

    /// <summary>For a file, the quoted passage when the service gave one.</summary>
    [JsonPropertyName("quote")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Quote { get; init; }

    public static CitationResponse From(Citation citation) => new()
    {
        Id = citation.Id,
        Type = citation.Type == CitationType.File ? "file" : "url",
        Url = citation.Url,
        Title = citation.Title,
        Quote = citation.Quote,
    };
}
