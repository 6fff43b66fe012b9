using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wrapper.Simulator.Agents;

namespace Wrapper.Simulator.Foundry;

/// <summary>
/// A streamed response (<c>"stream": true</c>): <c>text/event-stream</c> with one <c>event: &lt;type&gt;</c> /
/// <c>data: {json}</c> pair per event, each carrying its <c>type</c> and a <c>sequence_number</c> from 0, in the order of
/// the OpenAI Responses stream (ResponseStreamEvent): <c>response.created</c>, <c>response.in_progress</c>,
/// <c>response.output_item.added</c>, <c>response.content_part.added</c>, <c>response.output_text.delta</c> (word-sized
/// pieces; each 【n:m†source】 marker is one delta, followed by its <c>response.output_text.annotation.added</c>),
/// <c>response.output_text.done</c>, <c>response.content_part.done</c>, <c>response.output_item.done</c>, then
/// <c>response.completed</c> — or <c>response.failed</c> right after <c>response.in_progress</c> when the prompt asks
/// for a failure. No <c>[DONE]</c> line (the Responses stream has none).
/// </summary>
internal sealed class ResponseEventStream(FoundryStore store, SimResponse response, SimulatorOptions options) : IResult
{
    private int _sequence;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var http = httpContext.Response;
        var ct = httpContext.RequestAborted;
        http.StatusCode = StatusCodes.Status200OK;
        http.ContentType = "text/event-stream; charset=utf-8";
        http.Headers.CacheControl = "no-cache";
        http.Headers["x-request-id"] = Guid.NewGuid().ToString();

        try
        {
            await WriteAsync(http, "response.created", new JsonObject { ["response"] = FoundryWire.Response(response, snapshot: true) }, ct);
            await WriteAsync(http, "response.in_progress", new JsonObject { ["response"] = FoundryWire.Response(response, snapshot: true) }, ct);
            if (response.Outcome == RunOutcome.Slow)
            {
                await Task.Delay(Math.Max(0, options.Agents.SlowRunMs), ct);
            }

            store.Finish(response);
            if (response.Status == "failed")
            {
                await WriteAsync(http, "response.failed", new JsonObject { ["response"] = FoundryWire.Response(response) }, ct);
                return;
            }

            if (response.Output is { } message)
            {
                await WriteMessageAsync(http, message, ct);
            }

            await WriteAsync(http, "response.completed", new JsonObject { ["response"] = FoundryWire.Response(response) }, ct);
        }
        catch (Exception gone) when (ct.IsCancellationRequested && gone is OperationCanceledException or IOException)
        {
            // The client went away: what it did not wait for is abandoned.
            store.Abandon(response);
        }
    }

    private async Task WriteMessageAsync(HttpResponse http, MessageItem message, CancellationToken ct)
    {
        const int outputIndex = 0;
        const int contentIndex = 0;
        await WriteAsync(http, "response.output_item.added", new JsonObject
        {
            ["output_index"] = outputIndex,
            ["item"] = FoundryWire.Item(message with { Text = "", Annotations = [] }, "in_progress"),
        }, ct);
        await WriteAsync(http, "response.content_part.added", new JsonObject
        {
            ["item_id"] = message.Id,
            ["output_index"] = outputIndex,
            ["content_index"] = contentIndex,
            ["part"] = FoundryWire.OutputText("", []),
        }, ct);

        var annotationIndex = 0;
        foreach (var (piece, annotation) in GroundedAnswerComposer.StreamPieces(message.Text, message.Annotations))
        {
            var latency = options.LatencyPerTokenMs * RunScript.CountTokens(piece);
            if (latency > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(latency), ct);
            }

            await WriteAsync(http, "response.output_text.delta", new JsonObject
            {
                ["item_id"] = message.Id,
                ["output_index"] = outputIndex,
                ["content_index"] = contentIndex,
                ["delta"] = piece,
                ["logprobs"] = new JsonArray(),
            }, ct);
            if (annotation is not null)
            {
                await WriteAsync(http, "response.output_text.annotation.added", new JsonObject
                {
                    ["item_id"] = message.Id,
                    ["output_index"] = outputIndex,
                    ["content_index"] = contentIndex,
                    ["annotation_index"] = annotationIndex++,
                    ["annotation"] = FoundryWire.Annotation(annotation),
                }, ct);
            }
        }

        await WriteAsync(http, "response.output_text.done", new JsonObject
        {
            ["item_id"] = message.Id,
            ["output_index"] = outputIndex,
            ["content_index"] = contentIndex,
            ["text"] = message.Text,
            ["logprobs"] = new JsonArray(),
        }, ct);
        await WriteAsync(http, "response.content_part.done", new JsonObject
        {
            ["item_id"] = message.Id,
            ["output_index"] = outputIndex,
            ["content_index"] = contentIndex,
            ["part"] = FoundryWire.OutputText(message.Text, message.Annotations),
        }, ct);
        await WriteAsync(http, "response.output_item.done", new JsonObject
        {
            ["output_index"] = outputIndex,
            ["item"] = FoundryWire.Item(message),
        }, ct);
    }

    private async Task WriteAsync(HttpResponse http, string type, JsonObject payload, CancellationToken ct)
    {
        var data = new JsonObject { ["type"] = type, ["sequence_number"] = _sequence++ };
        foreach (var (name, value) in payload.ToList())
        {
            payload.Remove(name);
            data[name] = value;
        }

        var frame = string.Create(CultureInfo.InvariantCulture, $"event: {type}\ndata: {data.ToJsonString(JsonOptions)}\n\n");
        await http.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), ct);
        await http.Body.FlushAsync(ct);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
