using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;

namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// Sends a <see cref="Reply"/> as server-sent events like Azure: a first chunk with the assistant role (and the
/// prompt filter results), one chunk per word-sized delta, a chunk with the finish reason, a usage chunk when
/// asked, then <c>data: [DONE]</c>. <see cref="SimulatorOptions.LatencyPerTokenMs"/> is waited before each delta.
/// </summary>
internal sealed partial class ChatCompletionStream(
    Reply reply,
    bool includeUsage,
    SimulatorOptions options,
    TokenCounter tokens) : IResult
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var ct = httpContext.RequestAborted;
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        try
        {
            await WriteAsync(response, Chunk([Delta(new ChatDelta("assistant", string.Empty))], promptFilter: true), ct);

            foreach (Match piece in Pieces().Matches(reply.Content))
            {
                var latency = options.LatencyPerTokenMs * tokens.Count(piece.Value);
                if (latency > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(latency), ct);
                }

                await WriteAsync(response, Chunk([Delta(new ChatDelta(null, piece.Value))]), ct);
            }

            await WriteAsync(
                response,
                Chunk([new ChatChoice(0, reply.FinishReason, null, new ChatDelta(null, null), reply.CompletionFilter)]),
                ct);

            if (includeUsage)
            {
                await WriteAsync(response, Chunk([]) with { Usage = reply.Usage }, ct);
            }

            await response.Body.WriteAsync(Done, ct);
            await response.Body.FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away mid-stream; there is nobody left to answer.
        }
    }

    private ChatChoice Delta(ChatDelta delta) => new(0, null, null, delta, null);

    private ChatCompletionBody Chunk(IReadOnlyList<ChatChoice> choices, bool promptFilter = false) => new(
        reply.Id,
        "chat.completion.chunk",
        reply.Created,
        reply.Model,
        Reply.SystemFingerprint,
        choices,
        null,
        promptFilter ? [new PromptFilterResult(0, ContentFilterResults.SafePrompt)] : null);

    private static async Task WriteAsync(HttpResponse response, ChatCompletionBody chunk, CancellationToken ct)
    {
        await response.Body.WriteAsync(DataPrefix, ct);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(chunk, OpenAIJson.Completion), ct);
        await response.Body.WriteAsync(EventEnd, ct);
        await response.Body.FlushAsync(ct);
    }

    // Word-sized deltas: each run of non-space characters with the spaces before it.
    [GeneratedRegex(@"\s*\S+|\s+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pieces();
}
