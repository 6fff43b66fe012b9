using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Wrapper.Api.Errors;
using Wrapper.Api.Streaming;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.OpenAICompatible;

namespace Wrapper.Api.OpenAICompatible;

/// <summary>
/// Writes a relayed stream in Azure OpenAI's wire format: <c>text/event-stream</c>, one <c>data: {chunk}</c> event per
/// upstream chunk, its JSON exactly as the upstream sent it, then <c>data: [DONE]</c>. The first event is awaited before
/// anything is written, so a failure until then (the pool may still fail over) is an ordinary error answer with its
/// status (<see cref="OpenAIErrorWriter"/>). A failure after it ends the stream with <c>data: {"error":{...}}</c> (the
/// shape the OpenAI SDKs raise from a stream) and no <c>[DONE]</c>, never silently.
/// </summary>
public sealed class OpenAIEventStream : IResult
{
    public const string ContentType = "text/event-stream; charset=utf-8";

    private const int MaxEventsPerFlush = 16;

    private readonly IAsyncEnumerable<ChatStreamUpdate> _updates;

    public OpenAIEventStream(IAsyncEnumerable<ChatStreamUpdate> updates) => _updates = updates;

    public async Task ExecuteAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var aborted = http.RequestAborted;
        var logger = http.RequestServices.GetRequiredService<ILogger<OpenAIEventStream>>();

        await using var updates = _updates.GetAsyncEnumerator(aborted);
        if (!await updates.MoveNextAsync())
        {
            throw new UpstreamException(UpstreamFailure.BadResponse, "Azure OpenAI ended the answer without any event.");
        }

        var response = http.Response;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        var pipe = response.BodyWriter;
        try
        {
            var unflushed = 0;
            var first = true;
            bool more;
            do
            {
                if (updates.Current is RelayedChunk chunk)
                {
                    WriteEvent(pipe, chunk.Json.Span);
                    // Copied into the response: its rented array goes back to the pool.
                    chunk.Release();
                    unflushed++;
                }

                var next = updates.MoveNextAsync();
                if (unflushed > 0 && (first || !next.IsCompleted || unflushed >= MaxEventsPerFlush))
                {
                    first = false;
                    await StreamFlush.FlushBeforeAsync(response, next, aborted);
                    unflushed = 0;
                }

                more = await next;
            }
            while (more);

            pipe.Write("data: [DONE]\n\n"u8);
            await pipe.FlushAsync(aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            logger.LogInformation("Client disconnected from the OpenAI-compatible stream");
        }
        catch (UpstreamException ex)
        {
            await WriteErrorAsync(response, ApiProblem.Upstream(ex), aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "OpenAI-compatible stream failed after it had started");
            await WriteErrorAsync(response, ApiProblem.InternalError("The answer broke off. Quote the correlation id when reporting it."), aborted);
        }
    }

    /// <summary>Writes <c>data: {json}\n\n</c> with one buffer request and one advance: Kestrel's response writer takes
    /// its lock on each, and a stream writes dozens of events (measured with bench/: three writes per event were about
    /// 2 % of a streamed answer's CPU).</summary>
    private static void WriteEvent(System.IO.Pipelines.PipeWriter pipe, ReadOnlySpan<byte> json)
    {
        var size = Prefix.Length + json.Length + Separator.Length;
        var span = pipe.GetSpan(size);
        Prefix.CopyTo(span);
        json.CopyTo(span[Prefix.Length..]);
        Separator.CopyTo(span[(Prefix.Length + json.Length)..]);
        pipe.Advance(size);
    }

    private static ReadOnlySpan<byte> Prefix => "data: "u8;

    private static ReadOnlySpan<byte> Separator => "\n\n"u8;

    private static async Task WriteErrorAsync(HttpResponse response, ApiProblem problem, CancellationToken cancellationToken)
    {
        try
        {
            response.BodyWriter.Write("data: "u8);
            using (var json = new Utf8JsonWriter(response.BodyWriter))
            {
                OpenAIErrors.Write(json, problem.Details);
            }

            response.BodyWriter.Write("\n\n"u8);
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left while we were telling it.
        }
    }
}
