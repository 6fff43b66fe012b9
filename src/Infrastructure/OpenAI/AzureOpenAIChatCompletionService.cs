using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Resilience;
using Wrapper.Infrastructure.Telemetry;
using ChatCompletion = Wrapper.Domain.Chat.ChatCompletion;
using ChatMessage = Wrapper.Domain.Chat.ChatMessage;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// <see cref="IChatCompletionService"/> on Azure OpenAI through Azure.AI.OpenAI, over the <see cref="UpstreamPool{TClient}"/>
/// of the configured upstreams. Each request has one overall deadline (<see cref="AzureOpenAIOptions.RequestTimeout"/>)
/// that covers every silent retry and failover; every failure leaves as an <see cref="UpstreamException"/>, and caller
/// cancellation as <see cref="OperationCanceledException"/>. A streamed answer may fail over until its first piece of
/// text is handed out; after that a failure ends the stream with an <see cref="UpstreamException"/>.
/// </summary>
public sealed class AzureOpenAIChatCompletionService : IChatCompletionService
{
    private readonly UpstreamPool<ChatClient> _pool;
    private readonly AzureOpenAIOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AzureOpenAIChatCompletionService> _logger;
    private readonly WrapperMetrics _metrics;

    public AzureOpenAIChatCompletionService(UpstreamPool<ChatClient> pool, IOptions<AzureOpenAIOptions> options, TimeProvider time,
        ILogger<AzureOpenAIChatCompletionService> logger, WrapperMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    private TimeSpan StreamIdleTimeout => _options.StreamIdleTimeout ?? _options.RequestTimeout;

    /// <inheritdoc />
    /// <remarks>Measured once per call (<see cref="WrapperMetrics.RecordChat"/>), failover included.</remarks>
    public async Task<ChatCompletion> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        PooledUpstream<ChatClient>? last = null;
        try
        {
            var completion = await _pool.ExecuteAsync((upstream, attempt) =>
            {
                last = upstream;
                return CompleteOnAsync(upstream, messages, attempt);
            }, cancellationToken).ConfigureAwait(false);
            _metrics.RecordChat(last!.Deployment, completion.Model, _time.GetElapsedTime(started), completion.Usage, null);
            return completion;
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            _metrics.RecordChat(last?.Deployment ?? _options.Deployment, null, _time.GetElapsedTime(started), null, ErrorType(ex));
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatStreamUpdate> StreamAsync(IReadOnlyList<ChatMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        PooledUpstream<ChatClient>? last = null;
        OpenedStream stream;
        try
        {
            // Failover happens in here: nothing has been handed out before the first piece of text (or the end) arrived.
            stream = await _pool.ExecuteAsync((upstream, attempt) =>
            {
                last = upstream;
                return OpenStreamOnAsync(upstream, messages, attempt);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            _metrics.RecordChat(last?.Deployment ?? _options.Deployment, null, _time.GetElapsedTime(started), null, ErrorType(ex));
            throw;
        }

        await using (stream)
        {
            // Measured once the stream ended, its tokens included; a stream that broke off or was abandoned counts as failed.
            string? error = "abandoned";
            try
            {
                if (stream.First is { } first)
                {
                    yield return new ChatStreamDelta(first);
                }

                while (!stream.Ended)
                {
                    string? delta;
                    try
                    {
                        delta = await NextAsync(stream, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
                    {
                        error = ErrorType(ex);
                        throw;
                    }

                    if (delta is { Length: > 0 })
                    {
                        yield return new ChatStreamDelta(delta);
                    }
                }

                var completed = stream.State.Completed(stream.Upstream.Deployment);
                error = null;
                _metrics.RecordChat(stream.Upstream.Deployment, completed.Model, _time.GetElapsedTime(started), completed.Usage, null);
                yield return completed;
            }
            finally
            {
                if (error is not null)
                {
                    _metrics.RecordChat(stream.Upstream.Deployment, null, _time.GetElapsedTime(started), null, error);
                }
            }
        }
    }

    /// <summary><c>error.type</c> of a failed model call: the failure's name (e.g. <c>throttled</c>), or <c>cancelled</c>
    /// when the caller gave up.</summary>
    private static string ErrorType(Exception ex) =>
        ex is UpstreamException upstream ? upstream.Failure.ToString().ToLowerInvariant() : "cancelled";

    /// <remarks>Through the SDK client's protocol method (same pipeline as its convenience methods: URI, api-version,
    /// key or token, bounded retries, network timeout); the body is written and read by <see cref="ChatCompletionsWire"/>.</remarks>
    private async ValueTask<ChatCompletion> CompleteOnAsync(PooledUpstream<ChatClient> upstream, IReadOnlyList<ChatMessage> messages,
        UpstreamAttempt attempt)
    {
        try
        {
            using var body = BinaryContent.Create(BinaryData.FromBytes(ChatCompletionsWire.WriteRequest(messages, upstream.Deployment, stream: false)));
            var result = await upstream.Client.CompleteChatAsync(body, new RequestOptions { CancellationToken = attempt.Token }).ConfigureAwait(false);
            using var response = result.GetRawResponse();
            upstream.DeploymentCheck?.Confirm(); // the deployment answered: no health check needs to spend tokens on it
            return ToDomain(ChatCompletionsWire.ParseAnswer(response.Content.ToMemory().Span), upstream.Deployment);
        }
        catch (Exception ex)
        {
            throw Translate(ex, upstream, attempt.CallerToken, attempt.Token, attempt.TimedOutAfter);
        }
    }

    /// <summary>Starts a stream on <paramref name="upstream"/> and reads it up to its first piece of text (or its end).
    /// The stream then lives on its own token source: linked to the caller, no longer to this try's deadline.</summary>
    /// <remarks>Sent like <see cref="CompleteOnAsync"/>; the events are read by <see cref="ChatCompletionsWire.ReadChunks"/>.</remarks>
    private async ValueTask<OpenedStream> OpenStreamOnAsync(PooledUpstream<ChatClient> upstream, IReadOnlyList<ChatMessage> messages,
        UpstreamAttempt attempt)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(attempt.CallerToken);
        PipelineResponse? response = null;
        IAsyncEnumerator<SseItem<ChatCompletionChunk>>? chunks = null;
        try
        {
            using (attempt.Token.Register(static c => ((CancellationTokenSource)c!).Cancel(), cancellation))
            {
                using var body = BinaryContent.Create(BinaryData.FromBytes(ChatCompletionsWire.WriteRequest(messages, upstream.Deployment, stream: true)));
                var result = await upstream.Client.CompleteChatAsync(body, new RequestOptions { BufferResponse = false, CancellationToken = cancellation.Token })
                    .ConfigureAwait(false);
                response = result.GetRawResponse();
                upstream.DeploymentCheck?.Confirm();
                var content = response.ContentStream ?? throw new UpstreamException(UpstreamFailure.BadResponse,
                    "Azure OpenAI answered the streamed request without a body.", upstreamStatus: response.Status);
                chunks = ChatCompletionsWire.ReadChunks(content, cancellation.Token).GetAsyncEnumerator(cancellation.Token);
                var stream = new OpenedStream(upstream, response, chunks, cancellation);
                while (await chunks.MoveNextAsync().ConfigureAwait(false))
                {
                    if (stream.State.Apply(chunks.Current.Data) is { Length: > 0 } first)
                    {
                        stream.First = first;
                        return stream;
                    }

                    if (stream.State.IsDone)
                    {
                        break;
                    }
                }

                if (!stream.State.Finished)
                {
                    throw UpstreamTryFailure.BrokenOff();
                }

                if (stream.State.FinishReason == ChatCompletionsWire.ContentFilter)
                {
                    throw FilteredAnswer();
                }

                stream.Ended = true;
                return stream;
            }
        }
        catch (Exception ex)
        {
            if (chunks is not null)
            {
                await UpstreamTryFailure.DisposeQuietlyAsync(chunks).ConfigureAwait(false);
            }

            response?.Dispose();
            cancellation.Dispose();
            throw Translate(ex, upstream, attempt.CallerToken, attempt.Token, attempt.TimedOutAfter);
        }
    }

    /// <summary>The next piece of a started stream; marks it ended after the last one. A failure here cannot fail
    /// over (text has been handed out): it is recorded on the upstream's circuit and ends the stream.</summary>
    private async ValueTask<string?> NextAsync(OpenedStream stream, CancellationToken cancellationToken)
    {
        var idle = StreamIdleTimeout;
        stream.WatchForSilence(idle);
        try
        {
            if (!await stream.Chunks.MoveNextAsync().ConfigureAwait(false))
            {
                // The events stopped without [DONE] or a finish reason: the answer was cut off, not finished.
                return stream.State.Finished ? End(stream) : throw UpstreamTryFailure.BrokenOff();
            }

            var delta = stream.State.Apply(stream.Chunks.Current.Data);
            return stream.State.IsDone ? End(stream) : delta;
        }
        catch (Exception ex)
        {
            var failure = Translate(ex, stream.Upstream, cancellationToken, stream.Cancellation.Token, idle, midStream: true);
            if (failure is UpstreamException upstreamFailure)
            {
                await _pool.ReportFailureAsync(stream.Upstream, upstreamFailure).ConfigureAwait(false);
            }

            throw failure;
        }

        static string? End(OpenedStream stream)
        {
            stream.Ended = true;
            return null;
        }
    }

    /// <summary>What a failed try means (<see cref="UpstreamTryFailure.Translate"/>).</summary>
    private Exception Translate(Exception ex, PooledUpstream<ChatClient> upstream, CancellationToken callerToken, CancellationToken attemptToken,
        TimeSpan timeout, bool midStream = false) =>
        UpstreamTryFailure.Translate(ex, upstream, upstream.Deployment, callerToken, attemptToken, timeout, midStream, _time.GetUtcNow(),
            upstreamMessage: null, _logger, what: string.Empty);

    private static UpstreamException FilteredAnswer() =>
        new(UpstreamFailure.ContentFiltered, "Azure OpenAI's content filter blocked the answer (code: content_filter).", upstreamStatus: 200);

    private static ChatCompletion ToDomain(ChatCompletionAnswer answer, string deployment)
    {
        if (answer.FinishReason == ChatCompletionsWire.ContentFilter && answer.Content.Length == 0)
        {
            throw FilteredAnswer();
        }

        return new ChatCompletion(answer.Content, string.IsNullOrEmpty(answer.Model) ? deployment : answer.Model, answer.FinishReason,
            answer.Usage ?? TokenUsage.None);
    }

    /// <summary>What a stream has told so far besides its text: model, finish reason, usage, and whether it ended.</summary>
    private sealed class StreamState
    {
        public string? Model { get; private set; }
        public string? FinishReason { get; private set; }
        public TokenUsage? Usage { get; private set; }

        /// <summary>The <c>[DONE]</c> event came.</summary>
        public bool IsDone { get; private set; }

        /// <summary>The answer is complete: <c>[DONE]</c> or a finish reason came (a stream that stops after the finish
        /// reason has only lost its usage).</summary>
        public bool Finished => IsDone || FinishReason is not null;

        /// <summary>Takes in one chunk; returns its text, if any.</summary>
        public string? Apply(ChatCompletionChunk chunk)
        {
            if (chunk.IsEnd)
            {
                IsDone = true;
                return null;
            }

            if (chunk.Model is { } model)
            {
                Model = model;
            }

            if (chunk.FinishReason is { } reason)
            {
                FinishReason = reason;
            }

            if (chunk.Usage is { } usage)
            {
                Usage = usage;
            }

            return chunk.Content;
        }

        public ChatStreamCompleted Completed(string deployment) => new(
            string.IsNullOrEmpty(Model) ? deployment : Model,
            FinishReason,
            Usage ?? TokenUsage.None);
    }

    /// <summary>A stream that has started on one upstream, with the first piece of its text.</summary>
    private sealed class OpenedStream(
        PooledUpstream<ChatClient> upstream,
        PipelineResponse response,
        IAsyncEnumerator<SseItem<ChatCompletionChunk>> chunks,
        CancellationTokenSource cancellation) : IAsyncDisposable
    {
        public PooledUpstream<ChatClient> Upstream { get; } = upstream;
        public IAsyncEnumerator<SseItem<ChatCompletionChunk>> Chunks { get; } = chunks;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public StreamState State { get; } = new();
        public string? First { get; set; }
        public bool Ended { get; set; }

        /// <summary>Setting a timer takes a process-wide lock, and chunks come every few milliseconds: the idle timer is
        /// re-armed at most every <see cref="RearmInterval"/>, for <c>idle + RearmInterval</c>, so that it fires after
        /// between <c>idle</c> and <c>idle + RearmInterval</c> of silence.</summary>
        private static readonly TimeSpan RearmInterval = TimeSpan.FromMilliseconds(100);

        private long _armedAt;

        /// <summary>Cancels the stream once the upstream has been silent for <paramref name="idle"/> from now.</summary>
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
            // Disposing the response before the end aborts it: the upstream sees the client go away.
            await UpstreamTryFailure.DisposeQuietlyAsync(Chunks).ConfigureAwait(false);
            response.Dispose();
            Cancellation.Dispose();
        }
    }
}
