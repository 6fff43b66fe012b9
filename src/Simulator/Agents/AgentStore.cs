using System.Security.Cryptography;
using System.Text.Json.Nodes;

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
    IReadOnlyDictionary<string, string>? Metadata = null);

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
/// lazily from their timestamps whenever they are read: queued for <see cref="AgentSimulatorOptions.RunStepDelayMs"/>,
/// then in_progress for the same time (or <see cref="AgentSimulatorOptions.SlowRunMs"/> for <c>[simulate:slow]</c>),
/// then the outcome the prompt asks for; a cancel request makes a run cancelling, then cancelled one step later.
/// Tests read it through <see cref="FindThread"/>, <see cref="FindRun"/> and <see cref="GetCounters"/>.
/// </summary>
public sealed class AgentStore
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly TimeSpan RunLifetime = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly AgentSimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly long _agentsCreatedAt;
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
        _agentsCreatedAt = time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>The agents served: the configured ones, or the defaults when none are configured.</summary>
    public IReadOnlyList<SimulatedAgent> Agents =>
        _options.Agents.Count > 0 ? [.. _options.Agents] : SimulatedAgent.Defaults();

    private TimeSpan Step => TimeSpan.FromMilliseconds(Math.Max(0, _options.RunStepDelayMs));

    // ---- assistants ----

    public AssistantObject GetAssistant(string assistantId) => ToObject(RequireAgent(assistantId));

    public ListPage<AssistantObject> ListAssistants(PageRequest page) =>
        Page(Agents, a => a.Id, page, ToObject, "assistant");

    // ---- threads ----

    public ThreadObject CreateThread(IReadOnlyList<NewMessage> messages, IReadOnlyDictionary<string, string>? metadata)
    {
        lock (_gate)
        {
            return ToObject(NewThread(messages, metadata));
        }
    }

    public ThreadObject GetThread(string threadId)
    {
        lock (_gate)
        {
            return ToObject(RequireThread(threadId));
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

            return ToObject(thread);
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
            return Page(_threadOrder.Where(t => !t.Deleted).ToList(), t => t.Id, page, ToObject, "thread");
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

            return ToObject(Append(thread, message, now));
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
            return ToObject(message);
        }
    }

    public ListPage<MessageObject> ListMessages(string threadId, PageRequest page, string? runId)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            AdvanceRuns(thread, _time.GetUtcNow());
            var messages = runId is null ? thread.Messages : thread.Messages.Where(m => m.RunId == runId).ToList();
            return Page(messages, m => m.Id, page, ToObject, "message");
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

            return ToObject(StartRun(thread, agent, run, now));
        }
    }

    public RunObject CreateThreadAndRun(IReadOnlyList<NewMessage> messages, IReadOnlyDictionary<string, string>? metadata, NewRun run)
    {
        lock (_gate)
        {
            var agent = RequireAgent(run.AssistantId);
            var thread = NewThread(messages, metadata);
            return ToObject(StartRun(thread, agent, run, _time.GetUtcNow()));
        }
    }

    public RunObject GetRun(string threadId, string runId)
    {
        lock (_gate)
        {
            var run = RequireRun(threadId, runId);
            Advance(run, _time.GetUtcNow());
            return ToObject(run);
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
                return ToObject(run);
            }

            if (IsTerminal(run.Status))
            {
                throw AgentApiException.BadRequest($"Cannot cancel run with status '{run.Status}'.");
            }

            run.CancelRequestedAt = now;
            run.CancelledAfter = now + Step;
            run.Status = "cancelling";
            _cancelRequests++;
            return ToObject(run);
        }
    }

    public ListPage<RunObject> ListRuns(string threadId, PageRequest page)
    {
        lock (_gate)
        {
            var thread = RequireThread(threadId);
            AdvanceRuns(thread, _time.GetUtcNow());
            return Page(thread.Runs, r => r.Id, page, ToObject, "run");
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
                RunsActive: _runs.Values.Count(r => !IsTerminal(r.Status)),
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

    private static bool IsTerminal(string status) =>
        status is "completed" or "failed" or "cancelled" or "expired" or "incomplete";

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

    private static SimRun? ActiveRun(SimThread thread) => thread.Runs.FirstOrDefault(r => !IsTerminal(r.Status));

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

    private void AdvanceRuns(SimThread thread, DateTimeOffset now)
    {
        foreach (var run in thread.Runs)
        {
            Advance(run, now);
        }
    }

    private void Advance(SimRun run, DateTimeOffset now)
    {
        if (IsTerminal(run.Status))
        {
            return;
        }

        if (run.CancelledAfter is { } cancelledAfter)
        {
            if (now >= cancelledAfter)
            {
                run.Status = "cancelled";
                run.CancelledAt = cancelledAfter;
            }

            return;
        }

        if (now < run.StartAt)
        {
            return;
        }

        run.Status = "in_progress";
        run.StartedAt = run.StartAt;
        if (now >= run.EndAt)
        {
            Finish(run);
        }
    }

    private void Finish(SimRun run)
    {
        var end = run.EndAt;
        switch (run.Outcome)
        {
            case RunOutcome.Fail:
                run.Status = "failed";
                run.FailedAt = end;
                run.LastError = new RunError("server_error", "Sorry, something went wrong.");
                break;
            case RunOutcome.RateLimit:
                run.Status = "failed";
                run.FailedAt = end;
                run.LastError = new RunError("rate_limit_exceeded", "Rate limit is exceeded. Try again in 60 seconds.");
                break;
            case RunOutcome.Expire:
                run.Status = "expired";
                run.ExpiredAt = end;
                break;
            case RunOutcome.Empty:
                run.Status = "completed";
                run.CompletedAt = end;
                run.Usage = new RunUsage(run.PromptTokens, 0, run.PromptTokens);
                break;
            default:
                var answer = GroundedAnswerComposer.Compose(run.Agent, run.Question, run.MarkerGroup);
                var thread = _threads[run.ThreadId];
                thread.Messages.Add(new SimMessage(NewId("msg_"), thread.Id, end.ToUnixTimeSeconds(), "assistant", answer.Text, answer.Annotations)
                {
                    AssistantId = run.Agent.Id,
                    RunId = run.Id,
                });
                _messagesCreated++;
                var completionTokens = RunScript.CountTokens(answer.Text);
                run.Status = "completed";
                run.CompletedAt = end;
                run.Usage = new RunUsage(run.PromptTokens, completionTokens, run.PromptTokens + completionTokens);
                break;
        }
    }

    private static ListPage<TOut> Page<TIn, TOut>(
        IReadOnlyList<TIn> oldestFirst, Func<TIn, string> id, PageRequest request, Func<TIn, TOut> map, string kind)
    {
        var ordered = request.Order == "asc" ? oldestFirst.ToList() : oldestFirst.Reverse().ToList();
        var from = 0;
        var to = ordered.Count; // exclusive
        if (request.After is { } after)
        {
            from = IndexOf(after, "after") + 1;
        }

        if (request.Before is { } before)
        {
            to = IndexOf(before, "before");
        }

        var window = from < to ? ordered.GetRange(from, to - from) : [];
        // "before" alone pages backwards: the page is the items right before the cursor, in the requested order.
        var page = request.Before is not null && request.After is null
            ? window.Skip(Math.Max(0, window.Count - request.Limit)).ToList()
            : window.Take(request.Limit).ToList();
        var data = page.Select(map).ToList();
        return new ListPage<TOut>(
            "list",
            data,
            page.Count > 0 ? id(page[0]) : null,
            page.Count > 0 ? id(page[^1]) : null,
            window.Count > page.Count);

        int IndexOf(string cursor, string param)
        {
            var index = ordered.FindIndex(item => id(item) == cursor);
            return index >= 0
                ? index
                : throw AgentApiException.BadRequest($"Invalid '{param}': no {kind} with id '{cursor}' in this list.", param);
        }
    }

    // ---- wire objects ----

    private AssistantObject ToObject(SimulatedAgent agent) => new(
        agent.Id, "assistant", _agentsCreatedAt, agent.Name, agent.Description, agent.Model, agent.Instructions,
        ToolsOf(agent), ToolResourcesOf(agent), 1.0, 1.0, "auto", new Dictionary<string, string>());

    private static ThreadObject ToObject(SimThread thread) =>
        new(thread.Id, "thread", thread.CreatedAt, [], thread.Metadata);

    private static MessageObject ToObject(SimMessage message) => new(
        message.Id, "thread.message", message.CreatedAt, message.ThreadId, "completed", null, message.CreatedAt, null,
        message.Role, [new MessageTextContent("text", new MessageText(message.Text, message.Annotations))],
        message.AssistantId, message.RunId, [], message.Metadata);

    private static RunObject ToObject(SimRun run)
    {
        static long? Unix(DateTimeOffset? time) => time?.ToUnixTimeSeconds();
        var expiresAt = run.Status == "expired" ? run.ExpiredAt : IsTerminal(run.Status) ? null : run.CreatedAt + RunLifetime;
        return new RunObject(
            run.Id, "thread.run", run.CreatedAt.ToUnixTimeSeconds(), run.ThreadId, run.Agent.Id, run.Status,
            RequiredAction: null, run.LastError, run.Model, run.Instructions, ToolsOf(run.Agent), ToolResourcesOf(run.Agent),
            Unix(expiresAt), Unix(run.StartedAt), Unix(run.CompletedAt), Unix(run.CancelledAt), Unix(run.FailedAt),
            IncompleteDetails: null, run.Usage, Temperature: 1.0, TopP: 1.0, MaxPromptTokens: null, MaxCompletionTokens: null,
            new TruncationStrategy("auto", null), ToolChoice: "auto", ResponseFormat: "auto", ParallelToolCalls: true,
            run.Metadata);
    }

    private static JsonArray ToolsOf(SimulatedAgent agent) => agent.Kind switch
    {
        SimulatedAgentKind.BingGrounding =>
        [
            new JsonObject
            {
                ["type"] = "bing_grounding",
                ["bing_grounding"] = new JsonObject
                {
                    ["search_configurations"] = new JsonArray(new JsonObject
                    {
                        ["connection_id"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-simulator/providers/Microsoft.CognitiveServices/accounts/simulator/projects/simulator/connections/bing-simulator",
                        ["market"] = "en-US",
                        ["set_lang"] = "en",
                        ["count"] = 5,
                        ["freshness"] = "Week",
                    }),
                },
            },
        ],
        SimulatedAgentKind.FileSearch =>
        [
            new JsonObject
            {
                ["type"] = "file_search",
                ["file_search"] = new JsonObject
                {
                    ["max_num_results"] = 20,
                    ["ranking_options"] = new JsonObject { ["ranker"] = "default_2024_08_21", ["score_threshold"] = 0.0 },
                },
            },
        ],
        _ => [],
    };

    private static JsonObject ToolResourcesOf(SimulatedAgent agent) => agent.Kind == SimulatedAgentKind.FileSearch
        ? new JsonObject { ["file_search"] = new JsonObject { ["vector_store_ids"] = new JsonArray("vs_simulator_handbook") } }
        : [];

    private sealed class SimThread(string id, long createdAt)
    {
        public string Id { get; } = id;
        public long CreatedAt { get; } = createdAt;
        public Dictionary<string, string> Metadata { get; set; } = [];
        public bool Deleted { get; set; }
        public List<SimMessage> Messages { get; } = [];
        public List<SimRun> Runs { get; } = [];
    }

    private sealed class SimMessage(string id, string threadId, long createdAt, string role, string text, IReadOnlyList<TextAnnotation> annotations)
    {
        public string Id { get; } = id;
        public string ThreadId { get; } = threadId;
        public long CreatedAt { get; } = createdAt;
        public string Role { get; } = role;
        public string Text { get; } = text;
        public IReadOnlyList<TextAnnotation> Annotations { get; } = annotations;
        public string? AssistantId { get; init; }
        public string? RunId { get; init; }
        public Dictionary<string, string> Metadata { get; init; } = [];
    }

    private sealed class SimRun(string id, string threadId, SimulatedAgent agent, RunOutcome outcome, string question)
    {
        public string Id { get; } = id;
        public string ThreadId { get; } = threadId;
        public SimulatedAgent Agent { get; } = agent;
        public RunOutcome Outcome { get; } = outcome;
        public string Question { get; } = question;
        public required string Model { get; init; }
        public required string Instructions { get; init; }
        public required Dictionary<string, string> Metadata { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public required DateTimeOffset StartAt { get; init; }
        public required DateTimeOffset EndAt { get; init; }
        public required int MarkerGroup { get; init; }
        public required int PromptTokens { get; init; }
        public string Status { get; set; } = "queued";
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? CompletedAt { get; set; }
        public DateTimeOffset? FailedAt { get; set; }
        public DateTimeOffset? CancelledAt { get; set; }
        public DateTimeOffset? ExpiredAt { get; set; }
        public DateTimeOffset? CancelRequestedAt { get; set; }
        public DateTimeOffset? CancelledAfter { get; set; }
        public RunError? LastError { get; set; }
        public RunUsage? Usage { get; set; }
    }
}
