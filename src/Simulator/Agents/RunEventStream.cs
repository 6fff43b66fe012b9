using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Wrapper.Simulator.Agents;

/// <summary>
/// A streamed classic run (<c>POST /threads/{id}/runs</c> or <c>POST /threads/runs</c> with <c>"stream": true</c>):
/// <c>text/event-stream</c> with one <c>event: &lt;name&gt;</c> / <c>data: {json}</c> pair per event, the names and
/// payloads @azure/ai-agents 1.1.0 reads (models.js: ThreadStreamEvent, RunStreamEvent, RunStepStreamEvent,
/// MessageStreamEvent, DoneEvent): [<c>thread.created</c>,] <c>thread.run.created</c>, <c>thread.run.queued</c>,
/// <c>thread.run.in_progress</c>, then for an answer <c>thread.run.step.created</c>, <c>thread.run.step.in_progress</c>,
/// <c>thread.message.created</c>, <c>thread.message.in_progress</c>, <c>thread.message.delta</c> (word-sized pieces; a
/// 【n:m†source】 marker is one delta carrying its annotation), <c>thread.message.completed</c>,
/// <c>thread.run.step.completed</c>; then the run's end (<c>thread.run.completed</c>, <c>.failed</c>, <c>.expired</c> or
/// <c>.cancelled</c>) and <c>event: done</c> / <c>data: [DONE]</c>. The run progresses as a polled one does
/// (<see cref="AgentRunLifecycle"/>); a client that goes away leaves it running, as the service does.
/// </summary>
internal sealed class RunEventStream(AgentStore store, RunObject run, ThreadObject? createdThread, SimulatorOptions options) : IResult
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var http = httpContext.Response;
        var ct = httpContext.RequestAborted;
        http.StatusCode = StatusCodes.Status200OK;
        http.ContentType = "text/event-stream; charset=utf-8";
        http.Headers.CacheControl = "no-cache";

        try
        {
            if (createdThread is not null)
            {
                await WriteAsync(http, "thread.created", createdThread, ct);
            }

            await WriteAsync(http, "thread.run.created", run, ct);
            await WriteAsync(http, "thread.run." + run.Status, run, ct);
            var current = run;
            var announcedStart = false;
            while (!AgentRunLifecycle.IsTerminal(current.Status))
            {
                current = await WaitWhileAsync(current, current.Status, ct);
                if (!announcedStart && current.StartedAt is not null)
                {
                    // Polling may see a run only once it is past in_progress; the stream still announces the start.
                    announcedStart = true;
                    var started = current.Status == "in_progress"
                        ? current
                        : current with { Status = "in_progress", CompletedAt = null, FailedAt = null, CancelledAt = null, LastError = null, Usage = null };
                    await WriteAsync(http, "thread.run.in_progress", started, ct);
                }

                if (!AgentRunLifecycle.IsTerminal(current.Status) && current.Status != "in_progress")
                {
                    await WriteAsync(http, "thread.run." + current.Status, current, ct);
                }
            }

            if (current.Status == "completed" && store.ListMessages(run.ThreadId, new PageRequest("desc", 1), run.Id).Data is [var message, ..])
            {
                await WriteMessageAsync(http, current, message, ct);
            }

            await WriteAsync(http, "thread.run." + current.Status, current, ct);
            await http.Body.WriteAsync("event: done\ndata: [DONE]\n\n"u8.ToArray(), ct);
            await http.Body.FlushAsync(ct);
        }
        catch (Exception gone) when (ct.IsCancellationRequested && gone is OperationCanceledException or IOException)
        {
            // The client went away; the run goes on, as it does in the service.
        }
    }

    private async Task<RunObject> WaitWhileAsync(RunObject from, string status, CancellationToken ct)
    {
        var current = from;
        while (current.Status == status)
        {
            await Task.Delay(PollInterval, ct);
            current = store.GetRun(from.ThreadId, from.Id);
        }

        return current;
    }

    private async Task WriteMessageAsync(HttpResponse http, RunObject finished, MessageObject message, CancellationToken ct)
    {
        var step = Step(finished, message, "in_progress");
        await WriteAsync(http, "thread.run.step.created", step, ct);
        await WriteAsync(http, "thread.run.step.in_progress", step, ct);
        var empty = message with { Status = "in_progress", CompletedAt = null, Content = [] };
        await WriteAsync(http, "thread.message.created", empty, ct);
        await WriteAsync(http, "thread.message.in_progress", empty, ct);

        var text = message.Content[0].Text;
        var annotationIndex = 0;
        foreach (var (piece, annotation) in GroundedAnswerComposer.StreamPieces(text.Value, text.Annotations))
        {
            var latency = options.LatencyPerTokenMs * RunScript.CountTokens(piece);
            if (latency > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(latency), ct);
            }

            var deltaText = new JsonObject { ["value"] = piece };
            if (annotation is not null)
            {
                deltaText["annotations"] = new JsonArray(DeltaAnnotation(annotation, annotationIndex++));
            }

            await WriteAsync(http, "thread.message.delta", new JsonObject
            {
                ["id"] = message.Id,
                ["object"] = "thread.message.delta",
                ["delta"] = new JsonObject
                {
                    ["content"] = new JsonArray(new JsonObject { ["index"] = 0, ["type"] = "text", ["text"] = deltaText }),
                },
            }, ct);
        }

        await WriteAsync(http, "thread.message.completed", message, ct);
        await WriteAsync(http, "thread.run.step.completed", Step(finished, message, "completed"), ct);
    }

    /// <summary>A delta annotation (<c>messageDeltaTextUrlCitationAnnotationDeserializer</c> and its file twin).</summary>
    private static JsonObject DeltaAnnotation(TextAnnotation annotation, int index)
    {
        var json = new JsonObject
        {
            ["index"] = index,
            ["type"] = annotation.Type,
            ["text"] = annotation.Text,
            ["start_index"] = annotation.StartIndex,
            ["end_index"] = annotation.EndIndex,
        };
        if (annotation.UrlCitation is { } url)
        {
            json["url_citation"] = new JsonObject { ["url"] = url.Url, ["title"] = url.Title };
        }

        if (annotation.FileCitation is { } file)
        {
            json["file_citation"] = new JsonObject { ["file_id"] = file.FileId, ["quote"] = file.Quote };
        }

        return json;
    }

    /// <summary>The message-creation run step (<c>runStepDeserializer</c>: step_details.message_creation.message_id).</summary>
    private static JsonObject Step(RunObject finished, MessageObject message, string status) => new()
    {
        ["id"] = "step_" + finished.Id["run_".Length..],
        ["object"] = "thread.run.step",
        ["type"] = "message_creation",
        ["assistant_id"] = finished.AssistantId,
        ["thread_id"] = finished.ThreadId,
        ["run_id"] = finished.Id,
        ["status"] = status,
        ["step_details"] = new JsonObject
        {
            ["type"] = "message_creation",
            ["message_creation"] = new JsonObject { ["message_id"] = message.Id },
        },
        ["last_error"] = null,
        ["created_at"] = message.CreatedAt,
        ["expired_at"] = null,
        ["completed_at"] = status == "completed" ? finished.CompletedAt : null,
        ["cancelled_at"] = null,
        ["failed_at"] = null,
        ["usage"] = status == "completed" && finished.Usage is { } usage
            ? new JsonObject
            {
                ["prompt_tokens"] = usage.PromptTokens,
                ["completion_tokens"] = usage.CompletionTokens,
                ["total_tokens"] = usage.TotalTokens,
            }
            : null,
        ["metadata"] = new JsonObject(),
    };

    private static async Task WriteAsync<T>(HttpResponse http, string name, T data, CancellationToken ct)
    {
        var json = data is JsonNode node ? node.ToJsonString(AgentJson.Options) : JsonSerializer.Serialize(data, AgentJson.Options);
        var frame = string.Create(CultureInfo.InvariantCulture, $"event: {name}\ndata: {json}\n\n");
        await http.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), ct);
        await http.Body.FlushAsync(ct);
    }
}
