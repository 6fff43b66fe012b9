using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

public sealed partial class AgentThreadRunner
{
    /// <summary>
    /// Asks the classic agent and streams its answer: the thread lifecycle of <see cref="RunAsync"/>, with the run created
    /// streaming (<c>POST /threads/{threadId}/runs</c> with <c>stream: true</c>) instead of polled. Text arrives in
    /// <c>thread.message.delta</c> events; the reply is the run's <c>thread.message.completed</c> message (or, if the
    /// stream sent none, the run's newest assistant message). A run that ends otherwise than completed fails as in
    /// <see cref="FailureOf"/>; a run still going when the stream breaks, the deadline passes or the caller stops reading
    /// is cancelled, and the thread deleted unless kept.
    /// </summary>
    public async IAsyncEnumerable<AgentReplyUpdate> StreamAsync(AgentTarget target, AgentQuestion question,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var agentId = ClassicId(target, question);
        var client = _client ?? throw NotConfigured();
        using var deadline = new CancellationTokenSource(_options.RunDeadline, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var state = new RunStreamReader(question);
        ServerSentEventStream? stream = null;
        IAsyncEnumerator<ServerSentEvent>? events = null;
        try
        {
            stream = await GuardAsync(deadline, cancellationToken, state, async () =>
            {
                if (state.ThreadId is null)
                {
                    state.ThreadId = await CreateThreadAsync(client, question.Owner, linked.Token).ConfigureAwait(false);
                    state.CreatedThread = true;
                    linked.Token.ThrowIfCancellationRequested();
                }

                await AddQuestionAsync(client, state.ThreadId, state.CreatedThread, question.Message, linked.Token).ConfigureAwait(false);
                state.RunRequested = true;
                return await client.OpenRunStreamAsync(state.ThreadId, agentId, _options.RunDeadline + _options.RequestTimeout, linked.Token).ConfigureAwait(false);
            }).ConfigureAwait(false);
            events = stream.ReadAllAsync(linked.Token).GetAsyncEnumerator(linked.Token);

            while (true)
            {
                var update = await GuardAsync(deadline, cancellationToken, state, async () =>
                {
                    while (!state.Done && await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        if (state.Read(events.Current) is { } next)
                        {
                            return next;
                        }
                    }

                    return await state.EndAsync(client, linked.Token).ConfigureAwait(false);
                }).ConfigureAwait(false);
                if (update is null)
                {
                    yield break;
                }

                if (update is AgentReplyCompleted)
                {
                    state.Succeeded = true;
                    _logger.LogInformation("Agent run {RunId} on thread {ThreadId} streamed to completion", state.Run?.Id, state.ThreadId);
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

            if (!state.Succeeded)
            {
                await CancelQuietlyAsync(client, state.ThreadId, state.Run, state.RunRequested).ConfigureAwait(false);
            }

            if (state.ThreadId is { } threadId && (!question.KeepThread || (state.CreatedThread && !state.Succeeded)))
            {
                await DeleteQuietlyAsync(client, threadId).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one step of a streamed question: the deadline passing becomes <see cref="UpstreamFailure.Timeout"/>,
    /// the caller's cancellation stays <see cref="OperationCanceledException"/>.</summary>
    private async Task<T> GuardAsync<T>(CancellationTokenSource deadline, CancellationToken caller, RunStreamReader state, Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or UpstreamException { Failure: UpstreamFailure.Timeout or UpstreamFailure.Unavailable }
                                   && deadline.IsCancellationRequested && !caller.IsCancellationRequested)
        {
            _logger.LogWarning("Agent question passed its deadline of {DeadlineSeconds} s (thread {ThreadId}, run {RunId})",
                _options.RunDeadline.TotalSeconds, state.ThreadId, state.Run?.Id);
            throw new UpstreamException(UpstreamFailure.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"The agent did not answer within {_options.RunDeadline.TotalSeconds:0.#} seconds."));
        }
    }

    /// <summary>Turns the events of a streamed run into raw deltas and the final reply.</summary>
    private sealed class RunStreamReader(AgentQuestion question)
    {
        private AgentReply? _message;
        private bool _runCompleted;
        private int? _part;
        private bool _anyText;
        private bool _finished;

        public string? ThreadId { get; set; } = question.ThreadId;

        public bool CreatedThread { get; set; }

        public bool RunRequested { get; set; }

        public AgentRun? Run { get; private set; }

        public bool Succeeded { get; set; }

        /// <summary>The service said <c>done</c>: nothing more will come.</summary>
        public bool Done { get; private set; }

        public AgentReplyUpdate? Read(ServerSentEvent sse)
        {
            var name = sse.Name ?? string.Empty;
            if (name == "done" || sse.Data == "[DONE]")
            {
                Done = true;
                return null;
            }

            switch (name)
            {
                case "thread.message.delta":
                    return Delta(Parse<AgentServiceWire.MessageDelta>(sse.Data));
                case "thread.message.completed":
                    var message = Parse<AgentServiceWire.MessageObject>(sse.Data);
                    if (message.Role is null or "assistant")
                    {
                        _message = AgentServiceClient.ReplyOf(message);
                    }

                    return null;
                case "error":
                    var error = Parse<AgentServiceWire.StreamError>(sse.Data);
                    throw FailureOf(new AgentRun(Run?.Id ?? "", ThreadId ?? "", "failed", error.Error?.Code ?? error.Code, error.Error?.Message ?? error.Message));
                case not null when name.StartsWith("thread.run.", StringComparison.Ordinal) && !name.StartsWith("thread.run.step.", StringComparison.Ordinal):
                    Run = AgentServiceClient.ToRun(Parse<AgentServiceWire.RunObject>(sse.Data), ThreadId ?? "");
                    if (Run.Status == "completed")
                    {
                        // Only "done" may follow: the answer is whole, whether or not the service closes at once.
                        _runCompleted = true;
                        Done = true;
                    }
                    else if (Run.IsTerminal || Run.Status == "requires_action")
                    {
                        throw FailureOf(Run);
                    }

                    return null;
                default:
                    return null;
            }
        }

        /// <summary>The stream ended: the reply once the run completed (then nothing more), an error before it.</summary>
        public async Task<AgentReplyUpdate?> EndAsync(AgentServiceClient client, CancellationToken token)
        {
            if (_finished)
            {
                return null;
            }

            if (!_runCompleted || Run is null)
            {
                throw new UpstreamException(UpstreamFailure.BadResponse, "The agent's answer stream ended before the run completed.");
            }

            var reply = _message
                        ?? await client.GetAnswerAsync(ThreadId!, Run.Id, token).ConfigureAwait(false)
                        ?? throw new UpstreamException(UpstreamFailure.BadResponse, "The agent's run completed without an answer.");
            _finished = true;
            return new AgentReplyCompleted(reply with { ThreadId = question.KeepThread ? ThreadId : null });
        }

        private AgentReplyDelta? Delta(AgentServiceWire.MessageDelta delta)
        {
            var text = new System.Text.StringBuilder();
            foreach (var part in delta.Delta?.Content ?? [])
            {
                if (part is not { Type: "text", Text.Value: { Length: > 0 } value })
                {
                    continue;
                }

                if (part.Index != _part && _anyText)
                {
                    // A new text part: whole replies join parts with a blank line.
                    text.Append("\n\n");
                }

                _part = part.Index;
                _anyText = true;
                text.Append(value);
            }

            return text.Length == 0 ? null : new AgentReplyDelta(text.ToString());
        }

        private static T Parse<T>(string data)
        {
            try
            {
                return JsonSerializer.Deserialize<T>(data, AgentServiceWire.Json) ?? throw new JsonException("null event");
            }
            catch (JsonException ex)
            {
                throw new UpstreamException(UpstreamFailure.BadResponse, "The Agent Service streamed an unreadable event.", innerException: ex);
            }
        }
    }
}
