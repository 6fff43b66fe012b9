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

        try
        {
            do
            {
                await WriteAsync(response, updates.Current, aborted);
            }
            while (await updates.MoveNextAsync());
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: there is nobody to tell. The upstream call was cancelled with the enumeration.
            logger.LogInformation("Client disconnected from the chat stream");
        }
        catch (UpstreamException ex)
        {
            var mapping = UpstreamProblem.For(ex.Failure);
            await WriteErrorAsync(response, new StreamError(ProblemTypes.ForStatus(mapping.Status), mapping.Status, mapping.Title, ex.Message,
                mapping.Code, ex.Failure is UpstreamFailure.Throttled or UpstreamFailure.Unavailable ? RetryAfterSeconds(ex.RetryAfter) : null), aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Chat stream failed after it had started");
            await WriteErrorAsync(response, new StreamError(ProblemTypes.InternalServerError, StatusCodes.Status500InternalServerError,
                "An unexpected error occurred", "The answer broke off. Quote the correlation id when reporting it.", ProblemCodes.InternalError, null),
                aborted);
        }
    }

    private static int? RetryAfterSeconds(TimeSpan? retryAfter) =>
        UpstreamProblem.RetryAfterSeconds(retryAfter) is { } seconds ? int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static Task WriteAsync(HttpResponse response, ChatStreamUpdate update, CancellationToken cancellationToken) => update switch
    {
        ChatStreamDelta delta => WriteEventAsync(response, "delta", new StreamDelta(delta.Content), cancellationToken),
        ChatStreamCompleted done => WriteEventAsync(response, "done", new StreamDone(done.Model, done.FinishReason, new UsageResponse
        {
            PromptTokens = done.Usage.PromptTokens,
            CompletionTokens = done.Usage.CompletionTokens,
            TotalTokens = done.Usage.TotalTokens,
        }), cancellationToken),
        _ => throw new InvalidOperationException($"Unknown stream update {update.GetType().Name}."),
    };

    private static async Task WriteErrorAsync(HttpResponse response, StreamError error, CancellationToken cancellationToken)
    {
        try
        {
            await WriteEventAsync(response, "error", error, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left while we were telling it.
        }
    }

    private static async Task WriteEventAsync<T>(HttpResponse response, string name, T data, CancellationToken cancellationToken)
    {
        // JSON never contains a raw line break, so one data line always carries the whole payload.
        var payload = $"event: {name}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n";
        await response.WriteAsync(payload, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private sealed record StreamDelta([property: JsonPropertyName("content")] string Content);

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
        [property: JsonPropertyName("retryAfterSeconds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfterSeconds);
}
