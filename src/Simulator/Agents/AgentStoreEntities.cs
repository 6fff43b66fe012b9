namespace Wrapper.Simulator.Agents;

// The records the simulated Agent Service keeps: threads, their messages and runs (guarded by AgentStore's lock).

internal sealed class SimThread(string id, long createdAt)
{
    public string Id { get; } = id;
    public long CreatedAt { get; } = createdAt;
    public Dictionary<string, string> Metadata { get; set; } = [];
    public bool Deleted { get; set; }
    public List<SimMessage> Messages { get; } = [];
    public List<SimRun> Runs { get; } = [];
}

internal sealed class SimMessage(string id, string threadId, long createdAt, string role, string text, IReadOnlyList<TextAnnotation> annotations)
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

internal sealed class SimRun(string id, string threadId, SimulatedAgent agent, RunOutcome outcome, string question)
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
