using System.Security.Cryptography;

namespace Wrapper.Simulator.Agents;

/// <summary>A message to add to a thread (from a request body).</summary>
public sealed record NewMessage(string Role, string Text, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>A run to start (from a request body); null members fall back to the agent's settings.</summary>
public sealed record NewRun(
    string AssistantId,
    string? Model = null,
    string? Instructions = null,
    string? AdditionalInstructions = null,
    IReadOnlyList<NewMessage>? AdditionalMessages = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    bool Stream = false);

/// <summary>Cursor paging of a list route: <c>order</c> (asc|desc), <c>limit</c> (1–100), <c>after</c>, <c>before</c>.</summary>
public sealed record PageRequest(string Order = "desc", int Limit = 20, string? After = null, string? Before = null);

/// <summary>A thread as tests see it.</summary>
public sealed record AgentThreadInfo(string Id, bool Deleted, int MessageCount, IReadOnlyList<string> RunIds);

/// <summary>A run as tests see it (status as of now).</summary>
public sealed record AgentRunInfo(string Id, string ThreadId, string AssistantId, string Status, bool CancelRequested, RunOutcome Outcome);

/// <summary>Totals since start (or the last <see cref="AgentStore.Reset"/>), run statuses as of now.</summary>
public sealed record AgentStoreCounters(
    int ThreadsCreated,
    int ThreadsDeleted,
    int ThreadsActive,
    int MessagesCreated,
    int RunsCreated,
    int RunsActive,
    int RunsCompleted,
    int RunsFailed,
    int RunsCancelled,
    int RunsExpired,
    int CancelRequests);

/// <summary>
/// The state of the simulated Agent Service: threads, messages and runs. Thread-safe (one lock). Runs progress
/// lazily from their timestamps whenever they are read (<see cref="AgentRunLifecycle"/>): queued for
/// <see cref="AgentSimulatorOptions.RunStepDelayMs"/>, then in_progress for the same time (or
/// <see cref="AgentSimulatorOptions.SlowRunMs"/> for <c>[simulate:slow]</c>), then the outcome the prompt asks for; a
/// cancel request makes a run cancelling, then cancelled one step later. Answers are projected to the wire objects by
/// <see cref="AgentWireProjection"/>.
/// Tests read it through <see cref="FindThread"/>, <see cref="FindRun"/> and <see cref="GetCounters"/>.
/// </summary>
public sealed class AgentStore
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly Lock _gate = new();
    private readonly AgentSimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly AgentWireProjection _wire;
    private readonly Dictionary<string, SimThread> _threads = new(StringComparer.Ordinal);
    private readonly List<SimThread> _threadOrder = [];
    private readonly Dictionary<string, SimRun> _runs = new(StringComparer.Ordinal);
    private int _threadsCreated;
    private int _threadsDeleted;
    private int _messagesCreated;
    private int _cancelRequests;

    /// <param name="options">Read on every request, so a test may change it while the simulator runs.</param>
    /// <param name="time">The clock runs progress by.</param>
    public AgentStore(AgentSimulatorOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _wire = new AgentWireProjection(time.GetUtcNow().ToUnixTimeSeconds());
    }

    /// <summary>The agents served: the configured ones, or the defaults when none are configured.</summary>
    public IReadOnlyList<SimulatedAgent> Agents =>
        _options.Agents.Count > 0 ? [.. _options.Agents] : SimulatedAgent.Defaults();

    private TimeSpan Step => TimeSpan.FromMilliseconds(Math.Max(0, _options.RunStepDelayMs));

    // ---- assistants ----

    public AssistantObject GetAssistant(string assistantId) => _wire.ToObject(RequireAgent(assistantId));

    public ListPage<AssistantObject> ListAssistants(PageRequest page) =>
        AgentWireProjection.Page(Agents, a => a.Id, page, _wire.ToObject, "assistant");

    // ---- threads ----

    public ThreadObject CreateThread(IReadOnlyList<NewMessage> messages, IReadOnlyDictionary<string, string>? metadata)
    {
        lock (_gate)
        {
            return _wire.ToObject(NewThread(messages, metadata));
        }
    }

    public ThreadObject GetThread(string threadId)
    {
        lock (_gate)
        {
            return _wire.ToObject(RequireThread(threadId));
        }
    }

    public ThreadObject UpdateThread(string threadId, IReadOnlyDictionary<string, string>? metadata)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            if (metadata is not null)
            {
                thread.Metadata = new Dictionary<string, string>(metadata);
            }

            return _wire.ToObject(thread);
        }
    }

    public DeletionStatus DeleteThread(string threadId)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            thread.Deleted = true;
            _threadsDeleted++;
            return new DeletionStatus(thread.Id, "thread.deleted", true);
        }
    }

    public ListPage<ThreadObject> ListThreads(PageRequest page)
    {
        lock (_gate)
        {
            return AgentWireProjection.Page(_threadOrder.Where(t => !t.Deleted).ToList(), t => t.Id, page, _wire.ToObject, "thread");
        }
    }

    // ---- messages ----

    public MessageObject AddMessage(string threadId, NewMessage message)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            var now = _time.GetUtcNow();
            AdvanceRuns(thread, now);
            if (ActiveRun(thread) is { } active)
            {
                throw AgentApiException.BadRequest($"Can't add messages to {thread.Id} while a run {active.Id} is active.");
            }

            return _wire.ToObject(Append(thread, message, now));
        }
    }

    public MessageObject GetMessage(string threadId, string messageId)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            AdvanceRuns(thread, _time.GetUtcNow());
            var message = thread.Messages.FirstOrDefault(m => m.Id == messageId)
                ?? throw AgentApiException.NotFound($"No message found with id '{messageId}'.");
            return _wire.ToObject(message);
        }
    }

    public ListPage<MessageObject> ListMessages(string threadId, PageRequest page, string? runId)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            AdvanceRuns(thread, _time.GetUtcNow());
            var messages = runId is null ? thread.Messages : thread.Messages.Where(m => m.RunId == runId).ToList();
            return AgentWireProjection.Page(messages, m => m.Id, page, _wire.ToObject, "message");
        }
    }

    // ---- runs ----

    public RunObject CreateRun(string threadId, NewRun run)
    {
        lock (_gate)
        {
            var agent = RequireAgent(run.AssistantId);
            var thread = RequireThread(threadId);
            var now = _time.GetUtcNow();
            AdvanceRuns(thread, now);
            if (ActiveRun(thread) is { } active)
            {
                throw AgentApiException.BadRequest($"Thread {thread.Id} already has an active run {active.Id}.");
            }

            return _wire.ToObject(StartRun(thread, agent, run, now));
        }
    }

    public RunObject CreateThreadAndRun(IReadOnlyList<NewMessage> messages, IReadOnlyDictionary<string, string>? metadata, NewRun run)
    {
        lock (_gate)
        {
            var agent = RequireAgent(run.AssistantId);
            var thread = NewThread(messages, metadata);
            return _wire.ToObject(StartRun(thread, agent, run, _time.GetUtcNow()));
        }
    }

    public RunObject GetRun(string threadId, string runId)
    {
        lock (_gate)
        {
            var run = RequireRun(threadId, runId);
            Advance(run, _time.GetUtcNow());
            return _wire.ToObject(run);
        }
    }

    public RunObject CancelRun(string threadId, string runId)
    {
        lock (_gate)
        {
            var run = RequireRun(threadId, runId);
            var now = _time.GetUtcNow();
            Advance(run, now);
            if (run.Status == "cancelling")
            {
                return _wire.ToObject(run);
            }

            if (AgentRunLifecycle.IsTerminal(run.Status))
            {
                throw AgentApiException.BadRequest($"Cannot cancel run with status '{run.Status}'.");
            }

            run.CancelRequestedAt = now;
            run.CancelledAfter = now + Step;
            run.Status = "cancelling";
            _cancelRequests++;
            return _wire.ToObject(run);
        }
    }

    public ListPage<RunObject> ListRuns(string threadId, PageRequest page)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            AdvanceRuns(thread, _time.GetUtcNow());
            return AgentWireProjection.Page(thread.Runs, r => r.Id, page, _wire.ToObject, "run");
        }
    }

    // ---- for tests and the state route ----

    public AgentThreadInfo? FindThread(string threadId)
    {
        lock (_gate)
        {
            return _threads.TryGetValue(threadId, out var t)
                ? new AgentThreadInfo(t.Id, t.Deleted, t.Messages.Count, t.Runs.Select(r => r.Id).ToList())
                : null;
        }
    }

    public AgentRunInfo? FindRun(string runId)
    {
        lock (_gate)
        {
            if (!_runs.TryGetValue(runId, out var run))
            {
                return null;
            }

            Advance(run, _time.GetUtcNow());
            return new AgentRunInfo(run.Id, run.ThreadId, run.Agent.Id, run.Status, run.CancelRequestedAt is not null, run.Outcome);
        }
    }

    public AgentStoreCounters GetCounters()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var run in _runs.Values)
            {
                Advance(run, now);
            }

            int Count(string status) => _runs.Values.Count(r => r.Status == status);
            return new AgentStoreCounters(
                ThreadsCreated: _threadsCreated,
                ThreadsDeleted: _threadsDeleted,
                ThreadsActive: _threads.Values.Count(t => !t.Deleted),
                MessagesCreated: _messagesCreated,
                RunsCreated: _runs.Count,
                RunsActive: _runs.Values.Count(r => !AgentRunLifecycle.IsTerminal(r.Status)),
                RunsCompleted: Count("completed"),
                RunsFailed: Count("failed"),
                RunsCancelled: Count("cancelled"),
                RunsExpired: Count("expired"),
                CancelRequests: _cancelRequests);
        }
    }

    /// <summary>Forgets every thread, message and run and zeroes the counters.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _threads.Clear();
            _threadOrder.Clear();
            _runs.Clear();
            _threadsCreated = _threadsDeleted = _messagesCreated = _cancelRequests = 0;
        }
    }

    // ---- internals (callers hold _gate) ----

    private void AdvanceRuns(SimThread thread, DateTimeOffset now) =>
        _messagesCreated += AgentRunLifecycle.AdvanceAll(thread, now, () => NewId("msg_"));

    private void Advance(SimRun run, DateTimeOffset now)
    {
        if (AgentRunLifecycle.Advance(run, _threads[run.ThreadId], now, () => NewId("msg_")))
        {
            _messagesCreated++;
        }
    }

    private static string NewId(string prefix) => prefix + RandomNumberGenerator.GetString(Alphabet, 24);

    private SimulatedAgent RequireAgent(string assistantId) =>
        Agents.FirstOrDefault(a => string.Equals(a.Id, assistantId, StringComparison.Ordinal))
        ?? throw AgentApiException.NotFound($"No assistant found with id '{assistantId}'.");

    private SimThread RequireThread(string threadId) =>
        _threads.TryGetValue(threadId, out var thread) && !thread.Deleted
            ? thread
            : throw AgentApiException.NotFound($"No thread found with id '{threadId}'.");

    private SimRun RequireRun(string threadId, string runId)
    {
        var thread = RequireThread(threadId);
        return thread.Runs.FirstOrDefault(r => r.Id == runId)
            ?? throw AgentApiException.NotFound($"No run found with id '{runId}'.");
    }

    private static SimRun? ActiveRun(SimThread thread) => thread.Runs.FirstOrDefault(r => !AgentRunLifecycle.IsTerminal(r.Status));

    private SimThread NewThread(IReadOnlyList<NewMessage> messages, IReadOnlyDictionary<string, string>? metadata)
    {
        var now = _time.GetUtcNow();
        var thread = new SimThread(NewId("thread_"), now.ToUnixTimeSeconds())
        {
            Metadata = metadata is null ? [] : new Dictionary<string, string>(metadata),
        };
        _threads.Add(thread.Id, thread);
        _threadOrder.Add(thread);
        _threadsCreated++;
        foreach (var message in messages)
        {
            Append(thread, message, now);
        }

        return thread;
    }

    private SimMessage Append(SimThread thread, NewMessage message, DateTimeOffset now)
    {
        var stored = new SimMessage(NewId("msg_"), thread.Id, now.ToUnixTimeSeconds(), message.Role, message.Text, [])
        {
            Metadata = message.Metadata is null ? [] : new Dictionary<string, string>(message.Metadata),
        };
        thread.Messages.Add(stored);
        _messagesCreated++;
        return stored;
    }

    private SimRun StartRun(SimThread thread, SimulatedAgent agent, NewRun request, DateTimeOffset now)
    {
        foreach (var message in request.AdditionalMessages ?? [])
        {
            Append(thread, message, now);
        }

        var question = thread.Messages.LastOrDefault(m => m.Role == "user")?.Text ?? "";
        var outcome = RunScript.OutcomeOf(question);
        var instructions = request.Instructions ?? agent.Instructions;
        if (!string.IsNullOrEmpty(request.AdditionalInstructions))
        {
            instructions = $"{instructions}\n{request.AdditionalInstructions}";
        }

        var step = Step;
        var startAt = now + step;
        var run = new SimRun(NewId("run_"), thread.Id, agent, outcome, question)
        {
            Model = request.Model ?? agent.Model,
            Instructions = instructions,
            Metadata = request.Metadata is null ? [] : new Dictionary<string, string>(request.Metadata),
            CreatedAt = now,
            StartAt = startAt,
            EndAt = startAt + (outcome == RunOutcome.Slow ? TimeSpan.FromMilliseconds(Math.Max(0, _options.SlowRunMs)) : step),
            MarkerGroup = thread.Messages.Count + 2,
            PromptTokens = RunScript.CountTokens(instructions) + thread.Messages.Sum(m => RunScript.CountTokens(m.Text)),
        };
        thread.Runs.Add(run);
        _runs.Add(run.Id, run);
        return run;
    }

}
