using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Wrapper.Api.Contracts;
using Wrapper.Api.Streaming;

namespace Wrapper.Api.OpenApi;

/// <summary>Marks an action whose 200 answer can be server-sent events (<c>text/event-stream</c>): <c>delta</c> events
/// (<see cref="StreamDeltaEvent"/>), then one <c>done</c> event whose data is <see cref="DoneType"/>, or an <c>error</c>
/// event (<see cref="StreamErrorEvent"/>). <see cref="EventStreamResponseOperationFilter"/> documents it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EventStreamResponseAttribute(Type doneType, string requestedBy) : Attribute
{
    /// <summary>The data of the <c>done</c> event.</summary>
    public Type DoneType { get; } = doneType;

    /// <summary>How a caller asks for the stream (for the description), e.g. <c>"stream": true</c>.</summary>
    public string RequestedBy { get; } = requestedBy;
}

/// <summary>Documents the <c>text/event-stream</c> answer of actions marked <see cref="EventStreamResponseAttribute"/>:
/// the body is text (a sequence of events, described and shown as an example), each event's data has its schema among
/// the components (<c>StreamDeltaEvent</c>, the done type, <c>StreamErrorEvent</c>), and the stream's items are given as
/// <c>itemSchema</c> (one of those three), OpenAPI 3.2's way to describe server-sent events, which a 3.0 document carries
/// as the <c>x-oai-itemSchema</c> extension.</summary>
internal sealed class EventStreamResponseOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var marker = context.MethodInfo?.GetCustomAttributes(typeof(EventStreamResponseAttribute), inherit: false)
            .OfType<EventStreamResponseAttribute>().FirstOrDefault();
        if (marker is null || operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse response
            || response.Content is null || !response.Content.TryGetValue(ServerSentEventWriter.ContentType, out var media)
            || media is not OpenApiMediaType concrete)
        {
            return;
        }

        var delta = context.SchemaGenerator.GenerateSchema(typeof(StreamDeltaEvent), context.SchemaRepository);
        var done = context.SchemaGenerator.GenerateSchema(marker.DoneType, context.SchemaRepository);
        var error = context.SchemaGenerator.GenerateSchema(typeof(StreamErrorEvent), context.SchemaRepository);
        var doneName = marker.DoneType.Name;

        concrete.Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description =
                $"Server-sent events, sent with {marker.RequestedBy}. Each event is `event: <name>`, `data: <one line of JSON>` and a blank line:\n\n" +
                $"- `delta` (any number, data `{nameof(StreamDeltaEvent)}`): the next piece of text, `{{\"content\":\"...\"}}`;\n" +
                $"- `done` (exactly one, last, data `{doneName}`): the whole answer;\n" +
                $"- `error` (instead of `done`, data `{nameof(StreamErrorEvent)}`): the answer broke off after it had started; the fields of the ProblemDetails it would have had (`type`, `status`, `title`, `detail`, `code`, `retryAfterSeconds`).\n\n" +
                "Failures before the first event are ordinary ProblemDetails answers with their status.",
        };
        concrete.ItemSchema = new OpenApiSchema
        {
            Description = "The data of one event: `delta`, `done` or `error`.",
            OneOf = [delta, done, error],
        };
        concrete.Example = JsonValue.Create(Example(marker.DoneType));
    }

    private static string Example(Type doneType) =>
        "event: delta\ndata: {\"content\":\"Major stock indexes rose\"}\n\n" +
        "event: delta\ndata: {\"content\":\" on Tuesday.\"}\n\n" +
        (doneType == typeof(AgentAnswerResponse)
            ? "event: done\ndata: {\"content\":\"Major stock indexes rose on Tuesday.\",\"citations\":[{\"id\":1,\"type\":\"url\",\"url\":\"https://www.example.com/markets/today\",\"title\":\"Markets today | Example News\"}]}\n\n"
            : "event: done\ndata: {\"model\":\"gpt-4o\",\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":7,\"total_tokens\":28}}\n\n");
}
