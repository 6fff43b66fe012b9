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
            if (reply.ToolCalls is { } calls)
            {
                await WriteToolCallsAsync(response, calls, ct);
            }
            else
            {
                await WriteAsync(response, Chunk([Delta(new ChatDelta("assistant", string.Empty))], promptFilter: true), ct);

                foreach (Match piece in Pieces().Matches(reply.Content))
                {
                    await WaitForTokensAsync(piece.Value, ct);
                    await WriteAsync(response, Chunk([Delta(new ChatDelta(null, piece.Value))]), ct);
                }
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

    /// <summary>Tool calls as Azure streams them: the first chunk of each call carries the assistant role (first call
    /// only), its <c>index</c>, <c>id</c>, <c>type</c> and the function's <c>name</c> with empty <c>arguments</c>; the
    /// following chunks carry only the <c>index</c> and the next piece of <c>arguments</c>.</summary>
    private async Task WriteToolCallsAsync(HttpResponse response, IReadOnlyList<ToolCall> calls, CancellationToken ct)
    {
        for (var index = 0; index < calls.Count; index++)
        {
            var call = calls[index];
            var opening = new ToolCallDelta(index, call.Id, call.Type, new ToolFunctionDelta(call.Function.Name, string.Empty));
            await WriteAsync(response, Chunk([Delta(new ChatDelta(index == 0 ? "assistant" : null, null, [opening]))], promptFilter: index == 0), ct);
            foreach (var piece in ArgumentPieces(call.Function.Arguments))
            {
                await WaitForTokensAsync(piece, ct);
                var next = new ToolCallDelta(index, null, null, new ToolFunctionDelta(null, piece));
                await WriteAsync(response, Chunk([Delta(new ChatDelta(null, null, [next]))]), ct);
            }
        }
    }

    /// <summary>The arguments in pieces of a few characters, about a token each, as the model produces them.</summary>
    private static IEnumerable<string> ArgumentPieces(string arguments)
    {
        const int PieceLength = 6;
        for (var start = 0; start < arguments.Length; start += PieceLength)
        {
            var length = Math.Min(PieceLength, arguments.Length - start);
            if (start + length < arguments.Length && char.IsHighSurrogate(arguments[start + length - 1]))
            {
                length++;
            }

            yield return arguments.Substring(start, length);
            start += length - PieceLength;
        }
    }

    private async Task WaitForTokensAsync(string piece, CancellationToken ct)
    {
        var latency = options.LatencyPerTokenMs * tokens.Count(piece);
        if (latency > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(latency), ct);
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
