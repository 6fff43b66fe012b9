using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// The new-protocol adapter (<see cref="AgentProtocol.Responses"/>): one question to one named (and optionally versioned)
/// agent through <c>POST {project}/openai/v1/responses</c> with <c>agent_reference</c>, on a conversation
/// (<c>{project}/openai/v1/conversations</c>) when the caller keeps or continues one, with the same rules as classic
/// threads (<see cref="AgentThreadRunner"/>).
/// </summary>
/// <remarks>
/// <para>Conversations: a question that keeps its conversation (<see cref="AgentQuestion.KeepThread"/>) and names none gets
/// a new one, recording the owner tag in its metadata under <see cref="OwnerMetadataKey"/>; a named conversation is
/// continued. A conversation not kept is deleted after answering, also when the question failed; a new one the caller
/// wanted kept is deleted when the question failed, since its id never reached the caller. A question with no
/// conversation to keep or continue makes none and is sent with <c>store: false</c>, so nothing of it stays on the service.</para>
/// <para>The whole exchange is bounded by <see cref="AgentServiceOptions.RunDeadline"/> (504 when it passes). A response
/// that did not complete maps like a classic run (<see cref="AgentThreadRunner.FailureOf"/>): <c>failed</c> with
/// <c>rate_limit_exceeded</c> → 429, <c>server_error</c> → 503, <c>content_filter</c> → content filtered, other
/// <c>failed</c> and <c>incomplete</c> → 502, <c>cancelled</c> → 503. HTTP errors map by
/// <see cref="Upstream.UpstreamStatusMap"/>, as on the classic path.</para>
/// </remarks>
public sealed class AgentResponsesRunner : IAgentRunner
{
    /// <summary>The conversation metadata key holding the owner tag (the same key as on classic threads).</summary>
    public const string OwnerMetadataKey = AgentThreadRunner.OwnerMetadataKey;

    private const double PollBackoff = 1.5;

    private readonly AgentServiceClient? _client;
    private readonly AgentServiceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AgentResponsesRunner> _logger;

    public AgentResponsesRunner(OptionalAgentServiceClient client, IOptions<AgentServiceOptions> options, TimeProvider time, ILogger<AgentResponsesRunner> logger)
    {
        _client = client.Client;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public AgentProtocol Protocol => AgentProtocol.Responses;

    public async Task<AgentReply> RunAsync(AgentTarget target, AgentQuestion question, CancellationToken cancellationToken)
    {
        var client = Prepare(target, question);
        var exchange = new Exchange(this, client, question, cancellationToken);
        try
        {
            return await exchange.GuardAsync(async token =>
            {
                var conversationId = await exchange.PrepareConversationAsync(token).ConfigureAwait(false);
                var request = Request(target, question, conversationId);
                ResponsesWire.ResponseObject response;
                try
                {
                    response = await client.CreateResponseAsync(request, _options.RunDeadline + _options.RequestTimeout, token).ConfigureAwait(false);
                }
                catch (UpstreamException ex) when (ex.Failure is UpstreamFailure.NotFound)
                {
                    throw await exchange.NotFoundAsync(ex, token).ConfigureAwait(false);
                }

                _logger.LogInformation("Agent response {ResponseId} of {Agent} ended {Status}", response.Id, target.Reference, response.Status);
                response = await PollAsync(client, response, token).ConfigureAwait(false);
                if (response.Status != "completed")
                {
                    throw FailureOf(response);
                }

                var reply = AgentServiceClient.ReplyOf(response) ?? throw NoAnswer();
                exchange.Succeeded = true;
                return reply with { ConversationId = question.KeepThread ? conversationId : null };
            }).ConfigureAwait(false);
        }
        finally
        {
            await exchange.CleanUpAsync().ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<AgentReplyUpdate> StreamAsync(AgentTarget target, AgentQuestion question,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = Prepare(target, question);
        var exchange = new Exchange(this, client, question, cancellationToken);
        var reader = new ResponseStreamReader(question);
        ServerSentEventStream? stream = null;
        IAsyncEnumerator<ServerSentEvent>? events = null;
        try
        {
            stream = await exchange.GuardAsync(async token =>
            {
                var conversationId = await exchange.PrepareConversationAsync(token).ConfigureAwait(false);
                reader.ConversationId = conversationId;
                try
                {
                    return await client.OpenResponseStreamAsync(Request(target, question, conversationId), _options.RunDeadline + _options.RequestTimeout, token).ConfigureAwait(false);
                }
                catch (UpstreamException ex) when (ex.Failure is UpstreamFailure.NotFound)
                {
                    throw await exchange.NotFoundAsync(ex, token).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
            events = stream.ReadAllAsync(exchange.Token).GetAsyncEnumerator(exchange.Token);

            while (true)
            {
                var update = await exchange.GuardAsync(async _ =>
                {
                    // Nothing is read after the completed response: the answer is whole, whether or not the service closes at once.
                    while (!reader.Completed && await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        if (reader.Read(events.Current) is { } next)
                        {
                            return next;
                        }
                    }

                    return reader.End();
                }).ConfigureAwait(false);
                if (update is null)
                {
                    yield break;
                }

                if (update is AgentReplyCompleted)
                {
                    exchange.Succeeded = true;
                    _logger.LogInformation("Agent response {ResponseId} of {Agent} streamed to completion", reader.ResponseId, target.Reference);
                }

                yield return update;
            }
        }
        finally
        {
            if (events is not null)
            {
                await events.DisposeAsync().ConfigureAwait(false);
            }

            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            await exchange.CleanUpAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The owner tag recorded on the conversation (<c>GET /openai/v1/conversations/{id}</c>), or null when it does
    /// not exist or records none.</summary>
    public async Task<string?> GetOwnerAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var client = _client ?? throw NotConfigured();
        try
        {
            var metadata = await client.GetConversationMetadataAsync(id, cancellationToken).ConfigureAwait(false);
            return metadata.GetValueOrDefault(OwnerMetadataKey);
        }
        catch (UpstreamException ex) when (ex.Failure is UpstreamFailure.NotFound)
        {
            return null;
        }
    }

    /// <summary><c>GET /agents/{name}</c> (or the configured version): no response is created, no tokens are spent.</summary>
    public Task ProbeAsync(AgentTarget target, CancellationToken cancellationToken)
    {
        var client = _client ?? throw NotConfigured();
        return client.GetNewAgentAsync(target.Reference, target.Version, cancellationToken);
    }

    /// <summary>How a response that did not complete is reported: like a classic run with the same status and error code.</summary>
    internal static UpstreamException FailureOf(ResponsesWire.ResponseObject response) =>
        AgentThreadRunner.FailureOf(new AgentRun(response.Id ?? "", response.ConversationId ?? "", response.Status ?? "unknown",
            response.Error?.Code, response.Error?.Message, response.IncompleteDetails?.Reason));

    private AgentServiceClient Prepare(AgentTarget target, AgentQuestion question)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(question);
        if (target.Protocol != AgentProtocol.Responses)
        {
            throw new ArgumentException($"The agent '{target.Entry}' is a classic agent.", nameof(target));
        }

        if (question.ThreadId is not null)
        {
            throw new UpstreamException(UpstreamFailure.BadRequest,
                $"'thread_id' names a classic thread, but the agent '{target.Entry}' runs on the new protocol: continue its conversations with 'conversation_id'.");
        }

        return _client ?? throw NotConfigured();
    }

    private static ResponsesWire.CreateResponseRequest Request(AgentTarget target, AgentQuestion question, string? conversationId) =>
        new(new ResponsesWire.AgentReference(target.Reference, target.Version), question.Message, conversationId,
            Store: conversationId is null ? false : null, Stream: null);

    /// <summary>A response answered before it ended (queued or in progress) is read again until it ends.</summary>
    private async Task<ResponsesWire.ResponseObject> PollAsync(AgentServiceClient client, ResponsesWire.ResponseObject response, CancellationToken token)
    {
        var delay = _options.FirstPollDelay;
        while (!response.IsTerminal)
        {
            if (string.IsNullOrEmpty(response.Id))
            {
                throw new UpstreamException(UpstreamFailure.BadResponse, "The Agent Service answered with an unfinished response without an id.");
            }

            await Task.Delay(delay, _time, token).ConfigureAwait(false);
            response = await client.GetResponseAsync(response.Id, token).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * PollBackoff, _options.MaxPollDelay.TotalMilliseconds));
        }

        return response;
    }

    private static UpstreamException NoAnswer() =>
        new(UpstreamFailure.BadResponse, "The agent's response completed without an answer.");

    private static UpstreamException NotConfigured() =>
        new(UpstreamFailure.Unavailable, $"No Agent Service is configured: set {AgentServiceOptions.EndpointKey}.");

    /// <summary>One question's conversation, deadline and clean-up.</summary>
    private sealed class Exchange
    {
        private readonly AgentResponsesRunner _runner;
        private readonly AgentServiceClient _client;
        private readonly AgentQuestion _question;
        private readonly CancellationToken _callerToken;
        private readonly CancellationTokenSource _deadline;
        private readonly CancellationTokenSource _linked;
        private bool _created;

        public Exchange(AgentResponsesRunner runner, AgentServiceClient client, AgentQuestion question, CancellationToken callerToken)
        {
            _runner = runner;
            _client = client;
            _question = question;
            _callerToken = callerToken;
            _deadline = new CancellationTokenSource(runner._options.RunDeadline, runner._time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(callerToken, _deadline.Token);
            ConversationId = question.ConversationId;
        }

        public CancellationToken Token => _linked.Token;

        public string? ConversationId { get; private set; }

        public bool Succeeded { get; set; }

        /// <summary>Runs <paramref name="step"/> under the deadline: the deadline passing becomes
        /// <see cref="UpstreamFailure.Timeout"/>; the caller's cancellation stays <see cref="OperationCanceledException"/>.</summary>
        public async Task<T> GuardAsync<T>(Func<CancellationToken, Task<T>> step)
        {
            try
            {
                return await step(Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested && !_callerToken.IsCancellationRequested)
            {
                _runner._logger.LogWarning("Agent question passed its deadline of {DeadlineSeconds} s (conversation {ConversationId})",
                    _runner._options.RunDeadline.TotalSeconds, ConversationId);
                throw new UpstreamException(UpstreamFailure.Timeout,
                    string.Create(CultureInfo.InvariantCulture, $"The agent did not answer within {_runner._options.RunDeadline.TotalSeconds:0.#} seconds."));
            }
            catch (UpstreamException ex) when (ex.Failure is UpstreamFailure.Timeout or UpstreamFailure.Unavailable
                                                   && _deadline.IsCancellationRequested && !_callerToken.IsCancellationRequested)
            {
                throw new UpstreamException(UpstreamFailure.Timeout,
                    string.Create(CultureInfo.InvariantCulture, $"The agent did not answer within {_runner._options.RunDeadline.TotalSeconds:0.#} seconds."),
                    innerException: ex);
            }
        }

        /// <summary>The conversation to run on: the caller's; a new one (owned by the caller) when the caller keeps it; none
        /// otherwise. Creating one is not cut short by the deadline or the caller: once sent, only its answer names the
        /// conversation to delete, so it gets <see cref="AgentServiceOptions.CleanupTimeout"/> more.</summary>
        public async Task<string?> PrepareConversationAsync(CancellationToken token)
        {
            if (ConversationId is not null || !_question.KeepThread)
            {
                return ConversationId;
            }

            token.ThrowIfCancellationRequested();
            using var bound = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _runner._time);
            var grace = _runner._options.CleanupTimeout;
            await using var graceOnCancel = token.Register(() => bound.CancelAfter(grace)).ConfigureAwait(false);
            try
            {
                var metadata = _question.Owner is null
                    ? null
                    : new Dictionary<string, string>(StringComparer.Ordinal) { [OwnerMetadataKey] = _question.Owner };
                ConversationId = await _client.CreateConversationAsync(metadata, bound.Token).ConfigureAwait(false);
                _created = true;
            }
            catch (OperationCanceledException) when (bound.IsCancellationRequested)
            {
                _runner._logger.LogWarning("Creating a conversation did not answer within {CleanupSeconds} s after the deadline passed or the caller left; " +
                    "a conversation it created cannot be deleted", grace.TotalSeconds);
                throw new OperationCanceledException(token);
            }

            token.ThrowIfCancellationRequested();
            return ConversationId;
        }

        /// <summary>A 404 answering a question on the caller's conversation: <see cref="ThreadNotFoundException"/> when the
        /// conversation is gone (deleted since its ownership was checked), else the agent was not found.</summary>
        public async Task<Exception> NotFoundAsync(UpstreamException notFound, CancellationToken token)
        {
            if (_created || ConversationId is not { } id)
            {
                return notFound;
            }

            try
            {
                await _client.GetConversationMetadataAsync(id, token).ConfigureAwait(false);
                return notFound;
            }
            catch (UpstreamException ex) when (ex.Failure is UpstreamFailure.NotFound)
            {
                return ThreadNotFoundException.ForConversation(id, notFound);
            }
        }

        /// <summary>Deletes the conversation unless the caller keeps it (a new one only once the question succeeded).</summary>
        public async Task CleanUpAsync()
        {
            try
            {
                if (ConversationId is { } id && (!_question.KeepThread || (_created && !Succeeded)))
                {
                    using var cleanup = new CancellationTokenSource(_runner._options.CleanupTimeout, _runner._time);
                    try
                    {
                        await _client.DeleteConversationAsync(id, cleanup.Token).ConfigureAwait(false);
                        _runner._logger.LogInformation("Agent conversation {ConversationId} deleted", id);
                    }
                    catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
                    {
                        _runner._logger.LogWarning("Could not delete agent conversation {ConversationId}: {Reason}", id, ex.Message);
                    }
                }
            }
            finally
            {
                _linked.Dispose();
                _deadline.Dispose();
            }
        }
    }

    /// <summary>Turns the events of a streamed response into raw deltas and the final reply.</summary>
    private sealed class ResponseStreamReader(AgentQuestion question)
    {
        private readonly StringBuilder _text = new();
        private readonly List<TextAnnotation> _annotations = [];
        private readonly Dictionary<string, int> _partOffsets = new(StringComparer.Ordinal);
        private string? _currentPart;
        private bool _completed;

        public string? ConversationId { get; set; }

        public string? ResponseId { get; private set; }

        /// <summary>The response completed: its answer was returned.</summary>
        public bool Completed => _completed;

        /// <summary>The update an event makes, or null for events that make none.</summary>
        public AgentReplyUpdate? Read(ServerSentEvent sse)
        {
            if (_completed || sse.Data.Length == 0 || sse.Data == "[DONE]")
            {
                return null;
            }

            ResponsesWire.StreamEvent data;
            try
            {
                data = JsonSerializer.Deserialize<ResponsesWire.StreamEvent>(sse.Data, AgentServiceWire.Json)
                       ?? throw new JsonException("null event");
            }
            catch (JsonException ex)
            {
                throw new UpstreamException(UpstreamFailure.BadResponse, "The Agent Service streamed an unreadable event.", innerException: ex);
            }

            switch (sse.Name ?? data.Type)
            {
                case "response.created" or "response.queued" or "response.in_progress":
                    ResponseId ??= data.Response?.Id;
                    return null;
                case "response.output_text.delta" when !string.IsNullOrEmpty(data.Delta):
                    return new AgentReplyDelta(Append(data, data.Delta));
                case "response.output_text.annotation.added" when data.Annotation is { } annotation:
                    _annotations.Add(AgentServiceClient.ToAnnotation(annotation, OffsetOf(data)));
                    return null;
                case "response.completed":
                    _completed = true;
                    // The completed response carries the whole answer; the streamed text stands in when it carries no output.
                    var reply = (data.Response is { Output.Count: > 0 } response ? AgentServiceClient.ReplyOf(response) : null)
                                ?? (_text.Length > 0 ? new AgentReply(_text.ToString(), _annotations.ToList(), null) : throw NoAnswer());
                    return new AgentReplyCompleted(reply with { ConversationId = question.KeepThread ? ConversationId : null });
                case "response.failed" or "response.incomplete" or "response.cancelled":
                    throw FailureOf(data.Response ?? new ResponsesWire.ResponseObject(ResponseId,
                        (sse.Name ?? data.Type)!["response.".Length..], null, null, null, null));
                case "error":
                    var error = data.Error ?? new ResponsesWire.ResponseError(data.Code, data.Message);
                    throw FailureOf(new ResponsesWire.ResponseObject(ResponseId, "failed", error, null, null, null));
                default:
                    return null;
            }
        }

        /// <summary>The stream ended: nothing more after the completed response; an error before it.</summary>
        public AgentReplyUpdate? End() => _completed
            ? null
            : throw new UpstreamException(UpstreamFailure.BadResponse, "The agent's answer stream ended before the response completed.");

        /// <summary>Appends a delta of one content part; a new part after text starts with a blank line, as whole replies join parts.</summary>
        private string Append(ResponsesWire.StreamEvent data, string delta)
        {
            var part = PartOf(data);
            var prefix = string.Empty;
            if (part != _currentPart)
            {
                _currentPart = part;
                if (!_partOffsets.ContainsKey(part))
                {
                    if (_text.Length > 0)
                    {
                        prefix = "\n\n";
                        _text.Append(prefix);
                    }

                    _partOffsets[part] = _text.Length;
                }
            }

            _text.Append(delta);
            return prefix + delta;
        }

        private int OffsetOf(ResponsesWire.StreamEvent data) => _partOffsets.GetValueOrDefault(PartOf(data));

        private static string PartOf(ResponsesWire.StreamEvent data) =>
            $"{data.ItemId ?? data.OutputIndex?.ToString(CultureInfo.InvariantCulture)}/{data.ContentIndex?.ToString(CultureInfo.InvariantCulture)}";
    }
}
