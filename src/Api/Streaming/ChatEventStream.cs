using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.Errors;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Streaming;

/// <summary>
/// Writes a streamed answer as server-sent events, one event per update, flushed as it comes:
/// <c>event: delta</c> / <c>data: {"content":"..."}</c>, then <c>event: done</c> / <c>data: {"model","finish_reason","usage"}</c>.
/// The first update is awaited before anything is written, so a failure up to then (validation ran already; the
/// upstream pool may still fail over) leaves as an exception for <see cref="ApiExceptionHandler"/>, with its status
/// and ProblemDetails. A failure after that cannot change the status any more: the stream ends with
/// <c>event: error</c> / <c>data: {"type","status","title","detail","code"}</c>, never silently. A client that goes
/// away cancels the enumeration, which cancels the upstream call.
/// </summary>
public sealed class ChatEventStream : IActionResult
{
    public const string ContentType = "text/event-stream";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Most events written before a flush when updates arrive faster than they are sent.</summary>
    private const int MaxEventsPerFlush = 16;

    private readonly IAsyncEnumerable<ChatStreamUpdate> _updates;

    public ChatEventStream(IAsyncEnumerable<ChatStreamUpdate> updates) => _updates = updates;

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var aborted = http.RequestAborted;
        var logger = http.RequestServices.GetRequiredService<ILogger<ChatEventStream>>();

        await using var updates = _updates.GetAsyncEnumerator(aborted);

        // Nothing is written before the first update: until then a failure is an ordinary ProblemDetails answer.
        if (!await updates.MoveNextAsync())
        {
            throw new UpstreamException(UpstreamFailure.BadResponse, "Azure OpenAI ended the answer without any content or completion.");
        }

        var response = http.Response;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx would otherwise hold the events back.
        response.Headers["X-Accel-Buffering"] = "no";

        using var events = new EventWriter(response.BodyWriter);
        try
        {
            // The first event goes out at once (time to first token); after it, each event is flushed before waiting
            // for the next update, and updates that are already there (a burst from the upstream) go out together in
            // one flush, at most MaxEventsPerFlush of them.
            var unflushed = 0;
            var first = true;
            bool more;
            do
            {
                events.Write(updates.Current);
                var next = updates.MoveNextAsync();
                if (first || !next.IsCompleted || ++unflushed >= MaxEventsPerFlush)
                {
                    first = false;
                    await FlushBeforeAsync(response, next, aborted);
                    unflushed = 0;
                }

                more = await next;
            }
            while (more);

            if (unflushed > 0)
            {
                await response.BodyWriter.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: there is nobody to tell. The upstream call was cancelled with the enumeration.
            logger.LogInformation("Client disconnected from the chat stream");
        }
        catch (UpstreamException ex)
        {
            await WriteErrorAsync(response, events, ApiProblem.Upstream(ex), aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Chat stream failed after it had started");
            await WriteErrorAsync(response, events, ApiProblem.InternalError("The answer broke off. Quote the correlation id when reporting it."), aborted);
        }
    }

    /// <summary>Flushes while the next update is on its way; if the flush fails (the client left), waits for that
    /// update to settle first, so that the enumerator is never disposed while it is still moving.</summary>
    private static async Task FlushBeforeAsync(HttpResponse response, ValueTask<bool> next, CancellationToken cancellationToken)
    {
        try
        {
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        catch
        {
            try
            {
                await next;
            }
            catch (Exception)
            {
                // Whatever that update did, the flush's failure is the one to report.
            }

            throw;
        }
    }

    /// <summary>The <c>error</c> event: the fields of the problem's ProblemDetails (<see cref="ApiProblem"/>, the same
    /// builder as every other error answer), as the status line cannot change any more.</summary>
    private static async Task WriteErrorAsync(HttpResponse response, EventWriter events, ApiProblem problem, CancellationToken cancellationToken)
    {
        try
        {
            events.Write("error", new StreamError(problem.Details.Type!, problem.Status, problem.Details.Title!, problem.Details.Detail!,
                problem.Code, problem.RetryAfterSeconds));
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left while we were telling it.
        }
    }

    /// <summary>Writes events straight into the response's pipe, the JSON by a <see cref="Utf8JsonWriter"/> with the
    /// serializer's encoder (the same bytes as <see cref="JsonSerializer"/> gives), without a string per event. JSON never
    /// contains a raw line break, so one data line always carries the whole payload.</summary>
    private sealed class EventWriter : IDisposable
    {
        private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");

        private readonly PipeWriter _pipe;
        private readonly Utf8JsonWriter _json;

        public EventWriter(PipeWriter pipe)
        {
            _pipe = pipe;
            _json = new Utf8JsonWriter(pipe, new JsonWriterOptions { Encoder = Json.Encoder });
        }

        public void Write(ChatStreamUpdate update)
        {
            switch (update)
            {
                case ChatStreamDelta delta:
                    _pipe.Write("event: delta\ndata: "u8);
                    _json.Reset();
                    _json.WriteStartObject();
                    _json.WriteString(ContentName, delta.Content);
                    _json.WriteEndObject();
                    _json.Flush();
                    _pipe.Write("\n\n"u8);
                    break;
                case ChatStreamCompleted done:
                    Write("done", new StreamDone(done.Model, done.FinishReason, new UsageResponse
                    {
                        PromptTokens = done.Usage.PromptTokens,
                        CompletionTokens = done.Usage.CompletionTokens,
                        TotalTokens = done.Usage.TotalTokens,
                    }));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown stream update {update.GetType().Name}.");
            }
        }

        public void Write<T>(string name, T data)
        {
            _pipe.Write(Encoding.UTF8.GetBytes($"event: {name}\ndata: "));
            _json.Reset();
            JsonSerializer.Serialize(_json, data, Json);
            _json.Flush();
            _pipe.Write("\n\n"u8);
        }

        public void Dispose() => _json.Dispose();
    }

    private sealed record StreamDone(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("finish_reason")] string? FinishReason,
        [property: JsonPropertyName("usage")] UsageResponse Usage);

    private sealed record StreamError(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("status")] int Status,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("detail")] string Detail,
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("retryAfterSeconds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RetryAfterSeconds);
}
