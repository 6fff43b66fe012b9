using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// One question to one agent, the way the original service asked it: create a thread (or continue the caller's),
/// add the user message, start a run, poll it until it ends (every <see cref="AgentServiceOptions.FirstPollDelay"/>
/// at first, 1.5 times longer each time up to <see cref="AgentServiceOptions.MaxPollDelay"/>), read the newest
/// assistant message of the run, and delete the thread afterwards, even on failure, unless the caller keeps it.
/// </summary>
/// <remarks>
/// <para>The whole exchange is bounded by <see cref="AgentServiceOptions.RunDeadline"/>. When it passes, or the caller
/// goes away, a run still going is cancelled (best effort, within <see cref="AgentServiceOptions.CleanupTimeout"/>). A
/// thread being created then is still awaited (up to <see cref="AgentServiceOptions.CleanupTimeout"/> more), so that it
/// is deleted too.</para>
/// <para>How a run that did not complete is reported (see <see cref="FailureOf"/>): <c>failed</c> with
/// <c>rate_limit_exceeded</c> → Throttled (429, with the wait the message names); <c>failed</c> with
/// <c>server_error</c> → Unavailable (503); other <c>failed</c> and <c>incomplete</c> → BadResponse (502);
/// <c>expired</c> → Timeout (504); <c>cancelled</c> by someone else → Unavailable (503); <c>requires_action</c>
/// (function tools, which this service cannot answer) → the run is cancelled, BadResponse (502).</para>
/// <para>A thread the caller kept is deleted only when the caller ends the conversation (<c>keep</c> false); a new
/// thread the caller wanted kept is still deleted when the question failed, since its id never reached the caller.</para>
/// <para>A new thread records the asking client's owner tag (<see cref="AgentQuestion.Owner"/>) in its metadata under
/// <see cref="OwnerMetadataKey"/>; <see cref="GetThreadOwnerAsync"/> reads it back. Checking it is the caller's rule
/// (the application's <c>ThreadOwnership</c>), not this class's.</para>
/// </remarks>
public sealed partial class AgentThreadRunner : IAgentRunner
{
    /// <summary>The thread metadata key holding the owner tag (Agent Service metadata keys are at most 64 characters).</summary>
    public const string OwnerMetadataKey = "wrapper_owner";

    private const double PollBackoff = 1.5;

    private readonly AgentServiceClient? _client;
    private readonly AgentServiceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AgentThreadRunner> _logger;

    public AgentThreadRunner(OptionalAgentServiceClient client, IOptions<AgentServiceOptions> options, TimeProvider time, ILogger<AgentThreadRunner> logger)
    {
        _client = client.Client;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The configured options (endpoint, agent ids).</summary>
    public AgentServiceOptions Options => _options;

    public AgentProtocol Protocol => AgentProtocol.Classic;

    Task<AgentReply> IAgentRunner.RunAsync(AgentTarget target, AgentQuestion question, CancellationToken cancellationToken) =>
        RunAsync(ClassicId(target, question), question, cancellationToken);

    IAsyncEnumerable<AgentReplyUpdate> IAgentRunner.StreamAsync(AgentTarget target, AgentQuestion question, CancellationToken cancellationToken) =>
        StreamAsync(target, question, cancellationToken);

    Task<string?> IAgentRunner.GetOwnerAsync(string id, CancellationToken cancellationToken) => GetThreadOwnerAsync(id, cancellationToken);

    /// <summary><c>GET /assistants/{id}</c>: no thread is created, no tokens are spent.</summary>
    public Task ProbeAsync(AgentTarget target, CancellationToken cancellationToken)
    {
        var client = _client ?? throw NotConfigured();
        return client.GetAgentAsync(target.Reference, cancellationToken);
    }

    private static string ClassicId(AgentTarget target, AgentQuestion question)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(question);
        if (target.Protocol != AgentProtocol.Classic)
        {
            throw new ArgumentException($"The agent '{target.Entry}' runs on the new protocol.", nameof(target));
        }

        if (question.ConversationId is not null)
        {
            throw new UpstreamException(UpstreamFailure.BadRequest,
                $"'conversation_id' names a conversation of the new agents, but the agent '{target.Entry}' is classic: continue its threads with 'thread_id'.");
        }

        return target.Reference;
    }

    /// <summary>Asks the agent <paramref name="agentId"/> and returns its raw reply.</summary>
    /// <exception cref="UpstreamException">The service failed, the run did not complete, or the deadline passed.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public async Task<AgentReply> RunAsync(string agentId, AgentQuestion question, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentNullException.ThrowIfNull(question);
        var client = _client ?? throw NotConfigured();

        using var deadline = new CancellationTokenSource(_options.RunDeadline, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked.Token;

        var threadId = question.ThreadId;
        var createdThread = false;
        AgentRun? run = null;
        var runRequested = false;
        var succeeded = false;
        try
        {
            if (threadId is null)
            {
                threadId = await CreateThreadAsync(client, question.Owner, token).ConfigureAwait(false);
                createdThread = true;
                token.ThrowIfCancellationRequested();
            }

            await AddQuestionAsync(client, threadId, createdThread, question.Message, token).ConfigureAwait(false);

            runRequested = true;
            run = await client.CreateRunAsync(threadId, agentId, token).ConfigureAwait(false);
            _logger.LogInformation("Agent run {RunId} started on thread {ThreadId}", run.Id, threadId);
            run = await PollAsync(client, run, token).ConfigureAwait(false);
            if (run.Status != "completed")
            {
                throw FailureOf(run);
            }

            var reply = await client.GetAnswerAsync(threadId, run.Id, token).ConfigureAwait(false)
                        ?? throw new UpstreamException(UpstreamFailure.BadResponse, "The agent's run completed without an answer.");
            succeeded = true;
            return reply with { ThreadId = question.KeepThread ? threadId : null };
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Agent question passed its deadline of {DeadlineSeconds} s (thread {ThreadId}, run {RunId})",
                _options.RunDeadline.TotalSeconds, threadId, run?.Id);
            await CancelQuietlyAsync(client, threadId, run, runRequested).ConfigureAwait(false);
            throw new UpstreamException(UpstreamFailure.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"The agent did not answer within {_options.RunDeadline.TotalSeconds:0.#} seconds."));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("Agent question cancelled by the caller (thread {ThreadId}, run {RunId})", threadId, run?.Id);
            await CancelQuietlyAsync(client, threadId, run, runRequested).ConfigureAwait(false);
            throw;
        }
        catch (UpstreamException)
        {
            await CancelQuietlyAsync(client, threadId, run, runRequested).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (threadId is not null && (!question.KeepThread || (createdThread && !succeeded)))
            {
                await DeleteQuietlyAsync(client, threadId).ConfigureAwait(false);
            }
        }
    }

    /// <summary><c>POST /threads/{threadId}/messages</c> with the question. On the caller's thread, a 404 means it was
    /// deleted since its ownership was checked (by the owner, in a concurrent request), and a 400 that a run is still
    /// going on it.</summary>
    private static async Task AddQuestionAsync(AgentServiceClient client, string threadId, bool createdThread, string message, CancellationToken token)
    {
        try
        {
            await client.AddUserMessageAsync(threadId, message, token).ConfigureAwait(false);
        }
        catch (UpstreamException ex) when (!createdThread && ex.Failure is UpstreamFailure.NotFound)
        {
            throw new ThreadNotFoundException(threadId, ex);
        }
        catch (UpstreamException ex) when (!createdThread && ex.Failure is UpstreamFailure.BadRequest)
        {
            throw new UpstreamException(UpstreamFailure.BadRequest,
                "The conversation thread cannot take a message now (an earlier question may still be running).", upstreamStatus: ex.UpstreamStatus, innerException: ex);
        }
    }

    /// <summary>
    /// <c>POST /threads</c>, not cut short by the deadline or the caller (<paramref name="token"/>): once the request is
    /// sent the service may create the thread, and only its answer names the thread to delete afterwards. When
    /// <paramref name="token"/> fires meanwhile, the call gets <see cref="AgentServiceOptions.CleanupTimeout"/> more to
    /// answer; the caller observes <paramref name="token"/> right after it.
    /// </summary>
    private async Task<string> CreateThreadAsync(AgentServiceClient client, string? owner, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        using var bound = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        var grace = _options.CleanupTimeout;
        // Disposed before bound (and waits for a running callback), so the callback never meets a disposed source.
        await using var graceOnCancel = token.Register(() => bound.CancelAfter(grace)).ConfigureAwait(false);
        try
        {
            var metadata = owner is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { [OwnerMetadataKey] = owner };
            return await client.CreateThreadAsync(metadata, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            _logger.LogWarning("Creating an agent thread did not answer within {CleanupSeconds} s after the deadline passed or the caller left; " +
                "a thread it created cannot be deleted", grace.TotalSeconds);
            throw new OperationCanceledException(token);
        }
    }

    /// <summary>The owner tag recorded on the thread (<c>GET /threads/{threadId}</c>), or null when the thread does not
    /// exist or records none.</summary>
    /// <exception cref="UpstreamException">The service failed (other than answering 404), or is not configured.</exception>
    public async Task<string?> GetThreadOwnerAsync(string threadId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(threadId);
        var client = _client ?? throw NotConfigured();
        try
        {
            var metadata = await client.GetThreadMetadataAsync(threadId, cancellationToken).ConfigureAwait(false);
            return metadata.GetValueOrDefault(OwnerMetadataKey);
        }
        catch (UpstreamException ex) when (ex.Failure is UpstreamFailure.NotFound)
        {
            return null;
        }
    }

    /// <summary>Polls until the run ends. <c>requires_action</c> counts as an end: nobody here can answer it.</summary>
    private async Task<AgentRun> PollAsync(AgentServiceClient client, AgentRun run, CancellationToken token)
    {
        var delay = _options.FirstPollDelay;
        while (!run.IsTerminal && run.Status != "requires_action")
        {
            await Task.Delay(delay, _time, token).ConfigureAwait(false);
            run = await client.GetRunAsync(run.ThreadId, run.Id, token).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * PollBackoff, _options.MaxPollDelay.TotalMilliseconds));
        }

        _logger.LogInformation("Agent run {RunId} ended {Status}", run.Id, run.Status);
        return run;
    }

    /// <summary>How a run that did not complete is reported (see the class remarks).</summary>
    public static UpstreamException FailureOf(AgentRun run) => run.Status switch
    {
        "failed" when run.ErrorCode == "rate_limit_exceeded" => new UpstreamException(UpstreamFailure.Throttled,
            "The agent's model is rate limited; try again later.", Upstream.UpstreamRetryAfter.FromRunError(run.ErrorMessage)),
        "failed" when run.ErrorCode == "server_error" => new UpstreamException(UpstreamFailure.Unavailable,
            "The agent run failed with a server error."),
        "failed" when run.ErrorCode == AgentServiceClient.ContentFilterCode => new UpstreamException(UpstreamFailure.ContentFiltered,
            "The Agent Service's content filter blocked the question or the answer (code: content_filter)."),
        "incomplete" when run.IncompleteReason == AgentServiceClient.ContentFilterCode => new UpstreamException(UpstreamFailure.ContentFiltered,
            "The Agent Service's content filter stopped the answer (reason: content_filter)."),
        "failed" => new UpstreamException(UpstreamFailure.BadResponse,
            $"The agent run failed{(Upstream.UpstreamStatusMap.IsPlainCode(run.ErrorCode) ? $" (code: {run.ErrorCode})" : "")}."),
        "expired" => new UpstreamException(UpstreamFailure.Timeout, "The agent run expired before it finished."),
        "cancelled" => new UpstreamException(UpstreamFailure.Unavailable, "The agent run was cancelled by the service."),
        "incomplete" => new UpstreamException(UpstreamFailure.BadResponse,
            $"The agent run ended incomplete{(Upstream.UpstreamStatusMap.IsPlainCode(run.IncompleteReason) ? $" (reason: {run.IncompleteReason})" : "")}."),
        "requires_action" => new UpstreamException(UpstreamFailure.BadResponse,
            "The agent asked for function tool outputs, which this service does not provide."),
        _ => new UpstreamException(UpstreamFailure.BadResponse, "The agent run ended in an unknown state."),
    };

    private static UpstreamException NotConfigured() =>
        new(UpstreamFailure.Unavailable, $"No Agent Service is configured: set {AgentServiceOptions.EndpointKey}.");

    /// <summary>Cancels the run if it is still going. When the run was requested but its id never arrived (the caller
    /// left or the deadline passed meanwhile), the thread's newest runs are listed and any still going is cancelled.</summary>
    private async Task CancelQuietlyAsync(AgentServiceClient client, string? threadId, AgentRun? run, bool runRequested)
    {
        if (threadId is null || !runRequested || run is { IsTerminal: true })
        {
            return;
        }

        using var cleanup = new CancellationTokenSource(_options.CleanupTimeout, _time);
        try
        {
            IReadOnlyList<AgentRun> candidates = run is null
                ? await client.ListRunsAsync(threadId, 5, cleanup.Token).ConfigureAwait(false)
                : [await client.GetRunAsync(threadId, run.Id, cleanup.Token).ConfigureAwait(false)];
            foreach (var current in candidates.Where(r => !r.IsTerminal && r.Status != "cancelling"))
            {
                await client.CancelRunAsync(threadId, current.Id, cleanup.Token).ConfigureAwait(false);
                _logger.LogInformation("Agent run {RunId} cancelled", current.Id);
            }
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            _logger.LogWarning("Could not cancel agent run {RunId} on thread {ThreadId}: {Reason}", run?.Id, threadId, ex.Message);
        }
    }

    private async Task DeleteQuietlyAsync(AgentServiceClient client, string threadId)
    {
        using var cleanup = new CancellationTokenSource(_options.CleanupTimeout, _time);
        try
        {
            await client.DeleteThreadAsync(threadId, cleanup.Token).ConfigureAwait(false);
            _logger.LogInformation("Agent thread {ThreadId} deleted", threadId);
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            _logger.LogWarning("Could not delete agent thread {ThreadId}: {Reason}", threadId, ex.Message);
        }
    }
}
