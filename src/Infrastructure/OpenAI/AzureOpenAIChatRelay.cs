using System.Buffers;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.OpenAICompatible;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Resilience;
using Wrapper.Infrastructure.Telemetry;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// <see cref="IChatCompletionRelay"/> on Azure OpenAI: the client's chat-completions body, sent through the same
/// <see cref="UpstreamPool{TClient}"/> as <see cref="AzureOpenAIChatCompletionService"/> (its circuits, failover, overall
/// deadline and stream idle timeout) and through each upstream's own SDK client pipeline (its key or Entra ID token,
/// bounded retries, network timeout, TLS). The operation is the one Azure's REST specification defines for the upstream's
/// API version (<see cref="Health.UpstreamOperations.ChatUri"/>): <c>POST {resource}/openai/v1/chat/completions</c> with the
/// deployment as the body's <c>model</c>, or <c>POST {resource}/openai/deployments/{deployment}/chat/completions?api-version=</c>.
/// Nothing of the client's request but its body reaches the upstream (no header, no key), and nothing of the upstream's
/// answer but its body reaches the client (no header; error messages scrubbed of the upstream's address).
/// </summary>
public sealed partial class AzureOpenAIChatRelay : IChatCompletionRelay
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly UpstreamPool<ChatClient> _pool;
    private readonly AzureOpenAIOptions _options;
    private readonly IReadOnlyList<ServedModel> _models;
    private readonly Dictionary<string, ServedModel> _byName;
    private readonly TimeProvider _time;
    private readonly ILogger<AzureOpenAIChatRelay> _logger;
    private readonly WrapperMetrics _metrics;

    public AzureOpenAIChatRelay(UpstreamPool<ChatClient> pool, IOptions<AzureOpenAIOptions> options, IOptions<OpenAICompatibleOptions> compatible,
        TimeProvider time, ILogger<AzureOpenAIChatRelay> logger, WrapperMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _options = options.Value;
        _models = compatible.Value.Resolve(_options.Deployment);
        _byName = _models.GroupBy(m => m.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    private TimeSpan StreamIdleTimeout => _options.StreamIdleTimeout ?? _options.RequestTimeout;

    /// <inheritdoc />
    public IReadOnlyList<ServedModel> Models => _models;

    /// <inheritdoc />
    public ServedModel? Find(string name) => _byName.GetValueOrDefault(name);

    /// <inheritdoc />
    public async Task<RelayedChatCompletion> CompleteAsync(RelayCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        string? deployment = null;
        try
        {
            var completion = await _pool.ExecuteAsync((upstream, attempt) =>
            {
                deployment = DeploymentOn(upstream, call.Model);
                return CompleteOnAsync(upstream, deployment, call.Body, attempt);
            }, cancellationToken).ConfigureAwait(false);
            _metrics.RecordChat(deployment!, completion.Model, _time.GetElapsedTime(started), completion.Usage, null);
            return completion;
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            _metrics.RecordChat(deployment ?? call.Model.Deployment, null, _time.GetElapsedTime(started), null, ErrorType(ex));
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatStreamUpdate> StreamAsync(RelayCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        string? deployment = null;
        OpenedStream stream;
        try
        {
            // Failover happens in here: nothing is handed out before the answer has begun (its first text, tool call or
            // finish reason), or ended.
            stream = await _pool.ExecuteAsync((upstream, attempt) =>
            {
                deployment = DeploymentOn(upstream, call.Model);
                return OpenStreamOnAsync(upstream, deployment, call.Body, attempt);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            _metrics.RecordChat(deployment ?? call.Model.Deployment, null, _time.GetElapsedTime(started), null, ErrorType(ex));
            throw;
        }

        await using (stream)
        {
            string? error = "abandoned";
            try
            {
                foreach (var buffered in stream.Buffered)
                {
                    yield return buffered;
                }

                while (!stream.Ended)
                {
                    RelayedChunk? chunk;
                    try
                    {
                        chunk = await NextAsync(stream, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
                    {
                        error = ErrorType(ex);
                        throw;
                    }

                    if (chunk is not null)
                    {
                        yield return chunk;
                    }
                }

                var completed = stream.State.Completed(stream.Deployment);
                error = null;
                _metrics.RecordChat(stream.Deployment, completed.Model, _time.GetElapsedTime(started), completed.Usage, null);
                yield return completed;
            }
            finally
            {
                if (error is not null)
                {
                    _metrics.RecordChat(stream.Deployment, null, _time.GetElapsedTime(started), null, error);
                }
            }
        }
    }

    /// <summary>The deployment a public model calls on <paramref name="upstream"/>: the upstream's own when the model maps
    /// to the configured deployment, otherwise the mapped one.</summary>
    private string DeploymentOn(PooledUpstream<ChatClient> upstream, ServedModel model) =>
        string.Equals(model.Deployment, _options.Deployment, StringComparison.Ordinal) ? upstream.Deployment : model.Deployment;

    private static string ErrorType(Exception ex) =>
        ex is UpstreamException upstream ? upstream.Failure.ToString().ToLowerInvariant() : "cancelled";

    private async ValueTask<RelayedChatCompletion> CompleteOnAsync(PooledUpstream<ChatClient> upstream, string deployment, JsonObject body,
        UpstreamAttempt attempt)
    {
        try
        {
            using var message = CreateMessage(upstream, deployment, WriteBody(body, deployment, stream: false), stream: false, attempt.Token);
            await upstream.Client.Pipeline.SendAsync(message).ConfigureAwait(false);
            var response = message.Response ?? throw new ClientResultException("Azure OpenAI sent no response.");
            if (response.IsError)
            {
                await response.BufferContentAsync(attempt.Token).ConfigureAwait(false);
                throw new ClientResultException(response);
            }

            ConfirmDeployment(upstream, deployment);
            var json = await ReadAnswerAsync(response, attempt.Token).ConfigureAwait(false);
            var answer = ChatCompletionsWire.ParseAnswer(json.Span);
            return new RelayedChatCompletion(json, answer.Model, answer.Usage ?? TokenUsage.None);
        }
        catch (Exception ex)
        {
            throw Translate(ex, upstream, deployment, attempt.CallerToken, attempt.Token, attempt.TimedOutAfter);
        }
    }

    private async ValueTask<OpenedStream> OpenStreamOnAsync(PooledUpstream<ChatClient> upstream, string deployment, JsonObject body,
        UpstreamAttempt attempt)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(attempt.CallerToken);
        PipelineMessage? message = null;
        IAsyncEnumerator<SseItem<RelayEvent>>? events = null;
        try
        {
            using (attempt.Token.Register(static c => ((CancellationTokenSource)c!).Cancel(), cancellation))
            {
                message = CreateMessage(upstream, deployment, WriteBody(body, deployment, stream: true), stream: true, cancellation.Token);
                await upstream.Client.Pipeline.SendAsync(message).ConfigureAwait(false);
                var response = message.Response ?? throw new ClientResultException("Azure OpenAI sent no response.");
                if (response.IsError)
                {
                    await response.BufferContentAsync(cancellation.Token).ConfigureAwait(false);
                    throw new ClientResultException(response);
                }

                ConfirmDeployment(upstream, deployment);
                var content = response.ContentStream ?? throw new UpstreamException(UpstreamFailure.BadResponse,
                    "Azure OpenAI answered the streamed request without a body.", upstreamStatus: response.Status);
                var state = new StreamState();
                events = SseParser.Create(content, (_, data) => RelayEvent.Parse(data, state.Model ?? deployment)).EnumerateAsync(cancellation.Token)
                    .GetAsyncEnumerator(cancellation.Token);
                var stream = new OpenedStream(upstream, deployment, message, events, cancellation, state);
                while (await events.MoveNextAsync().ConfigureAwait(false))
                {
                    var item = events.Current.Data;
                    stream.State.Apply(item.Chunk);
                    if (item.Chunk.IsEnd)
                    {
                        break;
                    }

                    stream.Buffered.Add(item.Relayed!);
                    if (item.HasOutput || item.Chunk.FinishReason is not null)
                    {
                        return stream;
                    }
                }

                if (!stream.State.Finished)
                {
                    throw UpstreamTryFailure.BrokenOff();
                }

                stream.Ended = true;
                return stream;
            }
        }
        catch (Exception ex)
        {
            if (events is not null)
            {
                await UpstreamTryFailure.DisposeQuietlyAsync(events).ConfigureAwait(false);
            }

            message?.Dispose();
            cancellation.Dispose();
            throw Translate(ex, upstream, deployment, attempt.CallerToken, attempt.Token, attempt.TimedOutAfter);
        }
    }

    /// <summary>The next event of a started stream (null for the closing <c>[DONE]</c>, which marks it ended). A failure
    /// here cannot fail over: it is recorded on the upstream's circuit and ends the stream.</summary>
    private async ValueTask<RelayedChunk?> NextAsync(OpenedStream stream, CancellationToken cancellationToken)
    {
        var idle = StreamIdleTimeout;
        stream.WatchForSilence(idle);
        try
        {
            if (!await stream.Events.MoveNextAsync().ConfigureAwait(false))
            {
                // The events stopped without [DONE]: finished if a finish reason came (only the usage was lost), cut off otherwise.
                stream.Ended = stream.State.Finished ? true : throw UpstreamTryFailure.BrokenOff();
                return null;
            }

            var item = stream.Events.Current.Data;
            stream.State.Apply(item.Chunk);
            if (item.Chunk.IsEnd)
            {
                stream.Ended = true;
                return null;
            }

            return item.Relayed;
        }
        catch (Exception ex)
        {
            var failure = Translate(ex, stream.Upstream, stream.Deployment, cancellationToken, stream.Cancellation.Token, idle, midStream: true);
            if (failure is UpstreamException upstreamFailure)
            {
                await _pool.ReportFailureAsync(stream.Upstream, upstreamFailure).ConfigureAwait(false);
            }

            throw failure;
        }
    }

    /// <summary>The most bytes of a whole answer read (a chat completion is a few kilobytes; its largest, with logprobs
    /// of a long answer, well under this).</summary>
    internal const int MaxAnswerBytes = 64 * 1024 * 1024;

    /// <summary>The answer's body in one array of its exact size: read straight into it when its length is announced,
    /// else through a pooled buffer (the pipeline's own buffering grew a stream by doubling and kept its spare capacity:
    /// about twice the answer's size allocated per call, measured with bench/). The whole is bounded by the try's
    /// deadline (<paramref name="cancellationToken"/>).</summary>
    private static async ValueTask<ReadOnlyMemory<byte>> ReadAnswerAsync(PipelineResponse response, CancellationToken cancellationToken)
    {
        if (response.ContentStream is not { } content)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        await using (content.ConfigureAwait(false))
        {
            if (response.Headers.TryGetValue("Content-Length", out var header)
                && long.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
                && length <= MaxAnswerBytes)
            {
                var exact = new byte[length];
                await content.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
                return exact;
            }

            // Chunked (Azure's answers may come so): read into a pooled buffer, keep one exact copy.
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            var count = 0;
            try
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    count += read;
                    if (count > MaxAnswerBytes)
                    {
                        throw new UpstreamException(UpstreamFailure.BadResponse,
                            $"Azure OpenAI's answer is larger than {MaxAnswerBytes / (1024 * 1024)} MB.", upstreamStatus: response.Status);
                    }

                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }

                return buffer.AsSpan(0, count).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A request to the upstream through its client's pipeline: only the method, address, content type and
    /// body are ours; the pipeline adds the upstream's own key or token, user agent and retries.</summary>
    private static PipelineMessage CreateMessage(PooledUpstream<ChatClient> upstream, string deployment, ReadOnlyMemory<byte> body, bool stream,
        CancellationToken cancellationToken)
    {
        var operations = upstream.Operations ?? throw new InvalidOperationException($"Upstream {upstream.Name} has no operations.");
        var message = upstream.Client.Pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = operations.ChatUri(deployment);
        message.Request.Headers.Set("Content-Type", "application/json");
        // Azure streams on the body's "stream": true, not on Accept. Asking for text/event-stream made the client
        // pipeline (System.ClientModel) allocate about 70 KB more per streamed answer (measured on a 32-event answer).
        message.Request.Headers.Set("Accept", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromBytes(body));
        // Neither answer is buffered by the pipeline: a stream is read event by event, a whole answer by ReadAnswerAsync.
        message.Apply(new RequestOptions { CancellationToken = cancellationToken, BufferResponse = false });
        message.BufferResponse = false;
        // No network timeout of the pipeline's own: it is never shorter than the request timeout, which the try's
        // deadline (cancellationToken) already enforces on the whole call, and a stream's silences are watched by the
        // relay (OpenedStream.WatchForSilence, re-armed at most every 100 ms). With one, the pipeline wraps the body in a
        // stream that re-arms a timer and links a token source on every read (measured with bench/: a timer lock per
        // streamed event).
        message.NetworkTimeout = Timeout.InfiniteTimeSpan;
        return message;
    }

    /// <summary>The client's body with <c>model</c> set to <paramref name="deployment"/> and, for a stream,
    /// <c>stream_options.include_usage</c> set to true; every other property as it came, in its order.</summary>
    internal static ReadOnlyMemory<byte> WriteBody(JsonObject body, string deployment, bool stream)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            var wroteModel = false;
            var wroteOptions = false;
            foreach (var (name, value) in body)
            {
                if (name == "model")
                {
                    json.WriteString(name, deployment);
                    wroteModel = true;
                }
                else if (name == "stream_options" && stream)
                {
                    WriteStreamOptions(json, value as JsonObject);
                    wroteOptions = true;
                }
                else
                {
                    json.WritePropertyName(name);
                    if (value is null)
                    {
                        json.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(json);
                    }
                }
            }

            if (!wroteModel)
            {
                json.WriteString("model", deployment);
            }

            if (stream && !wroteOptions)
            {
                WriteStreamOptions(json, null);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteStreamOptions(Utf8JsonWriter json, JsonObject? options)
    {
        json.WriteStartObject("stream_options");
        foreach (var (name, value) in options ?? [])
        {
            if (name == "include_usage")
            {
                continue;
            }

            json.WritePropertyName(name);
            if (value is null)
            {
                json.WriteNullValue();
            }
            else
            {
                value.WriteTo(json);
            }
        }

        json.WriteBoolean("include_usage", true);
        json.WriteEndObject();
    }

    private static void ConfirmDeployment(PooledUpstream<ChatClient> upstream, string deployment)
    {
        if (deployment == upstream.Deployment)
        {
            upstream.DeploymentCheck?.Confirm();
        }
    }

    /// <summary>What a failed try means, as for <see cref="AzureOpenAIChatCompletionService"/> (<see cref="UpstreamTryFailure.Translate"/>);
    /// a 400 of the upstream (the request's own fault: an invalid field, the content filter) keeps the upstream's message,
    /// scrubbed of its address, so that the client learns what to fix.</summary>
    private Exception Translate(Exception ex, PooledUpstream<ChatClient> upstream, string deployment, CancellationToken callerToken,
        CancellationToken attemptToken, TimeSpan timeout, bool midStream = false) =>
        UpstreamTryFailure.Translate(ex, upstream, deployment, callerToken, attemptToken, timeout, midStream, _time.GetUtcNow(),
            failure => UpstreamMessage(failure, upstream), _logger, what: " a relayed chat completion");

    /// <summary>The <c>error.message</c> of an upstream's error answer, with the upstream's host and key taken out; null
    /// when there is none.</summary>
    private string? UpstreamMessage(Exception ex, PooledUpstream<ChatClient> upstream)
    {
        var last = ex is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[^1] : ex;
        if (last is not ClientResultException result || result.GetRawResponse() is not { } response)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(response.Content.ToMemory());
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object
                || !error.TryGetProperty("message", out var messageElement) || messageElement.ValueKind != JsonValueKind.String
                || messageElement.GetString() is not { Length: > 0 } message)
            {
                return null;
            }

            return Scrub(message, upstream);
        }
        catch (Exception parse) when (parse is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Takes the upstream's host, any Azure resource host and the upstream key out of a message.</summary>
    internal string Scrub(string message, PooledUpstream<ChatClient> upstream)
    {
        if (upstream.Operations?.BaseAddress.Host is { Length: > 0 } host)
        {
            message = message.Replace(host, "the model service", StringComparison.OrdinalIgnoreCase);
        }

        foreach (var key in _options.Upstreams.Select(u => u.ApiKey).Append(_options.ApiKey))
        {
            if (!string.IsNullOrEmpty(key))
            {
                message = message.Replace(key, "***", StringComparison.Ordinal);
            }
        }

        return AzureHost().Replace(message, "the model service");
    }

    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9.-]*\.(?:openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com|azure-api\.net)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex AzureHost();

    /// <summary>One event of an upstream stream: its data as it came (a rented copy, <see cref="RelayedChunk.Rented"/>; none
    /// for the closing <c>[DONE]</c>), and what the service reads from it.</summary>
    private readonly record struct RelayEvent(RelayedChunk? Relayed, ChatCompletionChunk Chunk)
    {
        /// <summary>True when it carries answer text, a tool call or a refusal (<see cref="RelayedChunk.HasOutput"/>).</summary>
        public bool HasOutput => Relayed is { HasOutput: true };

        /// <summary>Reads what the service needs of an event without copying its text; <paramref name="knownModel"/> is
        /// reused as the model's string when the event names the same one (it does on every event).</summary>
        public static RelayEvent Parse(ReadOnlySpan<byte> data, string? knownModel)
        {
            var (chunk, hasText) = ChatCompletionsWire.ParseRelayedChunk(data, knownModel);
            var hasOutput = !chunk.IsEnd
                            && (hasText || data.IndexOf("\"tool_calls\""u8) >= 0 || data.IndexOf("\"function_call\""u8) >= 0
                                || data.IndexOf("\"refusal\":\""u8) >= 0);
            return new RelayEvent(chunk.IsEnd ? null : RelayedChunk.Rented(data, hasOutput), chunk);
        }
    }

    /// <summary>What a stream has told so far: model, finish reason, usage, and whether it ended.</summary>
    private sealed class StreamState
    {
        public string? Model { get; private set; }
        public string? FinishReason { get; private set; }
        public TokenUsage? Usage { get; private set; }
        public bool IsDone { get; private set; }
        public bool Finished => IsDone || FinishReason is not null;

        public void Apply(ChatCompletionChunk chunk)
        {
            if (chunk.IsEnd)
            {
                IsDone = true;
                return;
            }

            Model = chunk.Model ?? Model;
            FinishReason = chunk.FinishReason ?? FinishReason;
            Usage = chunk.Usage ?? Usage;
        }

        public ChatStreamCompleted Completed(string deployment) =>
            new(string.IsNullOrEmpty(Model) ? deployment : Model, FinishReason, Usage ?? TokenUsage.None);
    }

    private sealed class OpenedStream(
        PooledUpstream<ChatClient> upstream,
        string deployment,
        PipelineMessage message,
        IAsyncEnumerator<SseItem<RelayEvent>> events,
        CancellationTokenSource cancellation,
        StreamState state) : IAsyncDisposable
    {
        private static readonly TimeSpan RearmInterval = TimeSpan.FromMilliseconds(100);
        private long _armedAt;

        public PooledUpstream<ChatClient> Upstream { get; } = upstream;
        public string Deployment { get; } = deployment;
        public IAsyncEnumerator<SseItem<RelayEvent>> Events { get; } = events;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public StreamState State { get; } = state;
        public List<RelayedChunk> Buffered { get; } = [];
        public bool Ended { get; set; }

        /// <summary>Cancels the stream once the upstream has been silent for <paramref name="idle"/> (re-armed at most every
        /// 100 ms, as <see cref="AzureOpenAIChatCompletionService"/> does).</summary>
        public void WatchForSilence(TimeSpan idle)
        {
            var now = Stopwatch.GetTimestamp();
            if (_armedAt == 0 || Stopwatch.GetElapsedTime(_armedAt, now) >= RearmInterval)
            {
                Cancellation.CancelAfter(idle + RearmInterval);
                _armedAt = now;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await UpstreamTryFailure.DisposeQuietlyAsync(Events).ConfigureAwait(false);
            message.Dispose();
            Cancellation.Dispose();
        }
    }
}
