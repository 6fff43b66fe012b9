using System.Text.Json.Serialization;

namespace Wrapper.Api.Contracts;

// The data of the server-sent events of POST /chat, POST /bing-grounding and POST /agents/{name} with stream=true (each
// event is `event: <name>` then `data: <one line of JSON>` then a blank line): `delta` events, then one `done` event, or
// an `error` event when the answer breaks off after it started. The OpenAPI document describes them from these types.

/// <summary>Data of <c>event: delta</c>: the next piece of the answer's text (append it to what came before).</summary>
public sealed class StreamDeltaEvent
{
    /// <summary>Text to append; for agents, citation markers are already removed.</summary>
    /// <example>Major stock indexes rose</example>
    [JsonPropertyName("content")]
    public required string Content { get; init; }
}

/// <summary>Data of <c>event: done</c> on <c>POST /chat</c>: why the answer ended and what it cost.</summary>
public sealed class ChatStreamDoneEvent
{
    /// <summary>The model (deployment) that answered.</summary>
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    /// <summary>Why generation stopped (<c>stop</c>, <c>length</c>, <c>content_filter</c>, ...), if known.</summary>
    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; init; }

    /// <summary>Token usage of the whole answer.</summary>
    [JsonPropertyName("usage")]
    public required UsageResponse Usage { get; init; }
}

/// <summary>Data of <c>event: error</c>: the fields of the ProblemDetails the same failure answers before a stream starts
/// (the status line cannot change any more once the first event is out). The stream ends after it.</summary>
public sealed class StreamErrorEvent
{
    /// <summary>The problem type URI.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>The HTTP status the failure would have had.</summary>
    /// <example>504</example>
    [JsonPropertyName("status")]
    public required int Status { get; init; }

    [JsonPropertyName("title")]
    public required string Title { get; init; }

    [JsonPropertyName("detail")]
    public required string Detail { get; init; }

    /// <summary>The machine-readable code, as in ProblemDetails (<c>upstream_timeout</c>, <c>upstream_unavailable</c>, ...).</summary>
    /// <example>upstream_timeout</example>
    [JsonPropertyName("code")]
    public required string Code { get; init; }

    /// <summary>Seconds to wait before retrying, when the upstream said (throttled or unavailable).</summary>
    [JsonPropertyName("retryAfterSeconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RetryAfterSeconds { get; init; }
}
