namespace Wrapper.Simulator;

/// <summary>
/// One injected failure, applied to the next <see cref="Count"/> matching requests: first the
/// <see cref="LatencyMs"/> delay, then either a dropped connection (<see cref="Drop"/>) or an answer with
/// <see cref="Status"/> and an Azure-shaped error body. With only a latency the requests are then served normally.
/// JSON (camelCase): <c>{"status":503,"count":2,"retryAfterSeconds":5,"latencyMs":0,"drop":false,"target":"openai"}</c>.
/// </summary>
public sealed record FaultSpec
{
    /// <summary>Status to answer with (400–599), e.g. 401, 429, 500, 503; <c>null</c> = no status fault.</summary>
    public int? Status { get; set; }

    /// <summary>How many requests the fault applies to (at least 1). In listings: how many are left.</summary>
    public int Count { get; set; } = 1;

    /// <summary>Sent as <c>retry-after</c> (and <c>retry-after-ms</c>) with a status fault.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>Delay before the request is answered, dropped or served.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Abort the connection without any response.</summary>
    public bool Drop { get; set; }

    /// <summary><c>openai</c>, <c>agents</c>, or <c>null</c> for any simulated route.</summary>
    public string? Target { get; set; }

    /// <summary>The longest latency a fault may ask for.</summary>
    public const int MaxLatencyMs = 600_000;

    /// <summary>Problems of this spec, by property name (camelCase); empty when it is valid.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Count < 1)
        {
            errors["count"] = ["count must be at least 1."];
        }

        if (Status is < 400 or > 599)
        {
            errors["status"] = ["status must be an HTTP error status between 400 and 599."];
        }

        if (RetryAfterSeconds is < 0)
        {
            errors["retryAfterSeconds"] = ["retryAfterSeconds must not be negative."];
        }

        if (LatencyMs is < 0 or > MaxLatencyMs)
        {
            errors["latencyMs"] = [$"latencyMs must be between 0 and {MaxLatencyMs}."];
        }

        if (Drop && Status is not null)
        {
            errors["drop"] = ["drop and status exclude each other: a dropped connection has no status."];
        }

        if (!Drop && Status is null && LatencyMs <= 0)
        {
            errors["status"] = ["Give a status, a latencyMs greater than 0, or drop: true."];
        }

        if (Target is not null && !FaultInjector.IsKnownTarget(Target))
        {
            errors["target"] = [$"target must be '{FaultInjector.OpenAITarget}', '{FaultInjector.AgentsTarget}' or omitted."];
        }

        return errors;
    }
}
