using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.Errors;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Streaming;

/// <summary>
/// Writes a streamed answer as server-sent events (<c>text/event-stream</c>), one event per update, flushed as it comes;
/// each kind of stream (<see cref="ChatEventStream"/>, <see cref="AgentEventStream"/>) says how its updates read as events.
/// The first update is awaited before anything is written, so a failure up to then (validation and ownership ran
/// already; the upstream pool may still fail over) leaves as an exception for <see cref="ApiExceptionHandler"/>, with its
/// status and ProblemDetails. A failure after that cannot change the status any more: the stream ends with
/// <c>event: error</c> / <c>data: {"type","status","title","detail","code","retryAfterSeconds"?}</c> (the fields of the
/// ProblemDetails the same failure would have had), never silently. A client that goes away cancels the enumeration,
/// which cancels the upstream call.
/// </summary>
public abstract class ServerSentEventStream<TUpdate> : IActionResult
{
    /// <summary>The media type of server-sent events.</summary>
    public const string ContentType = ServerSentEventWriter.ContentType;

    /// <summary>The name of the event that ends a stream on a failure after its start.</summary>
    public const string ErrorEvent = "error";

    /// <summary>Most events written before a flush when updates arrive faster than they are sent.</summary>
    private const int MaxEventsPerFlush = 16;

    private readonly IAsyncEnumerable<TUpdate> _updates;

    protected ServerSentEventStream(IAsyncEnumerable<TUpdate> updates) => _updates = updates ?? throw new ArgumentNullException(nameof(updates));

    /// <summary>What a stream that ends before its first update means (the upstream sent nothing usable).</summary>
    protected abstract UpstreamException EndedBeforeAnyUpdate();

    /// <summary>Writes one update as its event.</summary>
    protected abstract void Write(ServerSentEventWriter events, TUpdate update);

    /// <summary>True for the update that completes the answer.</summary>
    protected abstract bool IsFinal(TUpdate update);

    /// <summary>The problem to report when the stream ended without its final update; null when a stream may end without
    /// one.</summary>
    protected virtual UpstreamException? EndedBeforeFinalUpdate() => null;

    /// <summary>What the logs call this stream ("chat", "agent").</summary>
    protected abstract string StreamName { get; }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var aborted = http.RequestAborted;
        var logger = http.RequestServices.GetRequiredService<ILogger<ServerSentEventStream<TUpdate>>>();

        await using var updates = _updates.GetAsyncEnumerator(aborted);

        // Nothing is written before the first update: until then a failure is an ordinary ProblemDetails answer.
        if (!await updates.MoveNextAsync())
        {
            throw EndedBeforeAnyUpdate();
        }

        var response = http.Response;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx would otherwise hold the events back.
        response.Headers["X-Accel-Buffering"] = "no";

        using var events = new ServerSentEventWriter(response.BodyWriter);
        try
        {
            // The first event goes out at once (time to first token); after it, each event is flushed before waiting
            // for the next update, and updates that are already there (a burst from the upstream) go out together in
            // one flush, at most MaxEventsPerFlush of them.
            var unflushed = 0;
            var first = true;
            var final = false;
            bool more;
            do
            {
                Write(events, updates.Current);
                final |= IsFinal(updates.Current);
                var next = updates.MoveNextAsync();
                if (first || !next.IsCompleted || ++unflushed >= MaxEventsPerFlush)
                {
                    first = false;
                    await StreamFlush.FlushBeforeAsync(response, next, aborted);
                    unflushed = 0;
                }

                more = await next;
            }
            while (more);

            if (!final && EndedBeforeFinalUpdate() is { } incomplete)
            {
                throw incomplete;
            }

            if (unflushed > 0)
            {
                await response.BodyWriter.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: there is nobody to tell. The upstream call was cancelled with the enumeration.
            logger.LogInformation("Client disconnected from the {Stream} stream", StreamName);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ApiProblem.FromException(ex) is { } problem)
        {
            // An upstream failure, or a thread or conversation that vanished meanwhile: the answer it would have had.
            await WriteErrorAsync(response, events, problem, aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "The {Stream} stream failed after it had started", StreamName);
            await WriteErrorAsync(response, events, ApiProblem.InternalError("The answer broke off. Quote the correlation id when reporting it."), aborted);
        }
    }

    /// <summary>The <c>error</c> event: the fields of the problem's ProblemDetails (<see cref="ApiProblem"/>, the same
    /// builder as every other error answer), as the status line cannot change any more.</summary>
    private static async Task WriteErrorAsync(HttpResponse response, ServerSentEventWriter events, ApiProblem problem, CancellationToken cancellationToken)
    {
        try
        {
            events.Write(ErrorEvent, new StreamErrorEvent
            {
                Type = problem.Details.Type!,
                Status = problem.Status,
                Title = problem.Details.Title!,
                Detail = problem.Details.Detail!,
                Code = problem.Code,
                RetryAfterSeconds = problem.RetryAfterSeconds,
            });
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left while we were telling it.
        }
    }
}

/// <summary>Writes events straight into the response's pipe, the JSON by a <see cref="Utf8JsonWriter"/> with the
/// serializer's encoder (the same bytes as <see cref="JsonSerializer"/> gives), without a string per event. JSON never
/// contains a raw line break, so one data line always carries the whole payload.</summary>
public sealed class ServerSentEventWriter : IDisposable
{
    /// <summary>The media type of server-sent events.</summary>
    public const string ContentType = "text/event-stream";

    /// <summary>The name of the event that carries a piece of text, <c>{"content":"..."}</c>.</summary>
    public const string DeltaEvent = "delta";

    /// <summary>The name of the event that completes a stream.</summary>
    public const string DoneEvent = "done";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");

    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;

    public ServerSentEventWriter(PipeWriter pipe)
    {
        _pipe = pipe;
        _json = new Utf8JsonWriter(pipe, new JsonWriterOptions { Encoder = Json.Encoder });
    }

    /// <summary><c>event: delta</c> / <c>data: {"content":"..."}</c>, the hot path: no allocation per event.</summary>
    public void WriteDelta(string content)
    {
        _pipe.Write("event: delta\ndata: "u8);
        _json.Reset();
        _json.WriteStartObject();
        _json.WriteString(ContentName, content);
        _json.WriteEndObject();
        _json.Flush();
        _pipe.Write("\n\n"u8);
    }

    /// <summary><c>event: {name}</c> / <c>data: {data as JSON}</c>.</summary>
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
