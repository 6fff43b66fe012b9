namespace Wrapper.Simulator.Agents;

/// <summary>
/// Settings of the simulated Azure AI Foundry Agent Service: <see cref="SimulatorOptions.Agents"/>, so bound from the
/// configuration section <c>Simulator:Agents</c> (for example <c>Simulator__Agents__RunStepDelayMs=0</c>). Read on
/// every request. The expected bearer token is <see cref="SimulatorOptions.AgentBearerToken"/>.
/// </summary>
public sealed class AgentSimulatorOptions
{
    /// <summary>Time a run spends in each step (queued, then in_progress, then cancelling). 0 is allowed.</summary>
    public int RunStepDelayMs { get; set; } = 50;

    /// <summary>How long a run asked with <c>[simulate:slow]</c> stays in_progress before it completes.</summary>
    public int SlowRunMs { get; set; } = 120_000;

    /// <summary>Accepted values of the <c>api-version</c> query parameter.</summary>
    public List<string> ApiVersions { get; set; } = [];

    /// <summary>The agents the simulator knows. Empty means the defaults of <see cref="SimulatedAgent.Defaults"/>.</summary>
    public List<SimulatedAgent> Agents { get; set; } = [];

    /// <summary>
    /// The named, versioned agents of the new Agent Service (<c>/agents/{name}/versions</c>, run through
    /// <c>/openai/v1/responses</c>) seeded at start and on reset. Empty means the defaults of
    /// <see cref="Foundry.SimulatedNamedAgent.Defaults"/>. Versions created over the wire are kept until reset.
    /// </summary>
    public List<Foundry.SimulatedNamedAgent> NamedAgents { get; set; } = [];

    /// <summary>The api-version values accepted when none are configured.</summary>
    public static IReadOnlyList<string> DefaultApiVersions { get; } = ["v1", "2025-05-01"];
}

/// <summary>What tools an agent has, which decides the shape of its answers.</summary>
public enum SimulatedAgentKind
{
    /// <summary>Grounded with Bing: answers carry 【n:m†source】 markers and <c>url_citation</c> annotations.</summary>
    BingGrounding,

    /// <summary>No tools: answers carry no citations.</summary>
    Plain,

    /// <summary>File search over a vector store: answers carry <c>file_citation</c> annotations.</summary>
    FileSearch,
}

/// <summary>One agent (an "assistant" on the wire) served by the simulator.</summary>
public sealed class SimulatedAgent
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public string Model { get; set; } = "gpt-4o";

    public string Instructions { get; set; } = "You are a helpful assistant.";

    public SimulatedAgentKind Kind { get; set; } = SimulatedAgentKind.Plain;

    /// <summary>The agents served when none are configured: <c>asst_bing</c>, <c>asst_plain</c> and <c>asst_files</c>.</summary>
    public static IReadOnlyList<SimulatedAgent> Defaults() =>
    [
        new()
        {
            Id = "asst_bing",
            Name = "bing-grounding-agent",
            Description = "Answers questions with Bing web search grounding.",
            Instructions = "You are a helpful assistant. Use the Bing grounding tool to answer with current, cited web sources.",
            Kind = SimulatedAgentKind.BingGrounding,
        },
        new()
        {
            Id = "asst_plain",
            Name = "plain-agent",
            Description = "Answers from the model alone, without tools or citations.",
            Instructions = "You are a helpful assistant.",
            Kind = SimulatedAgentKind.Plain,
        },
        new()
        {
            Id = "asst_files",
            Name = "file-search-agent",
            Description = "Answers from the uploaded handbook with file search.",
            Instructions = "You are a helpful assistant. Answer from the attached files and cite them.",
            Kind = SimulatedAgentKind.FileSearch,
        },
    ];
}
