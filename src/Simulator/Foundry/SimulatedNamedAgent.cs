using Wrapper.Simulator.Agents;

namespace Wrapper.Simulator.Foundry;

/// <summary>
/// One named agent of the new Agent Service seeded at start (configuration <c>Simulator:Agents:NamedAgents</c>): a prompt
/// agent (<c>definition.kind = "prompt"</c>) whose tools follow <see cref="Kind"/>. Its first version is
/// <see cref="Version"/>; versions created over the wire are numbered after it.
/// </summary>
public sealed class SimulatedNamedAgent
{
    /// <summary>The agent name: letters, digits and inner hyphens, at most 63 characters.</summary>
    public string Name { get; set; } = "";

    /// <summary>The version identifier of the seeded version (the service numbers versions "1", "2", ...).</summary>
    public string Version { get; set; } = "1";

    public string? Description { get; set; }

    /// <summary>The model deployment of the prompt agent definition.</summary>
    public string Model { get; set; } = "gpt-4o";

    public string Instructions { get; set; } = "You are a helpful assistant.";

    /// <summary>The tools, which decide the answers: <c>BingGrounding</c> (url_citation annotations), <c>FileSearch</c>
    /// (file_citation annotations) or <c>Plain</c> (none).</summary>
    public SimulatedAgentKind Kind { get; set; } = SimulatedAgentKind.Plain;

    /// <summary>The named agents served when none are configured: <c>bing-grounding</c> (Bing grounding tool),
    /// <c>plain</c> (no tools) and <c>file-search</c> (file search tool), each at version 1.</summary>
    public static IReadOnlyList<SimulatedNamedAgent> Defaults() =>
    [
        new()
        {
            Name = "bing-grounding",
            Description = "Answers questions with Bing web search grounding.",
            Instructions = "You are a helpful assistant. Use the Bing grounding tool to answer with current, cited web sources.",
            Kind = SimulatedAgentKind.BingGrounding,
        },
        new()
        {
            Name = "plain",
            Description = "Answers from the model alone, without tools or citations.",
            Kind = SimulatedAgentKind.Plain,
        },
        new()
        {
            Name = "file-search",
            Description = "Answers from the uploaded handbook with file search.",
            Instructions = "You are a helpful assistant. Answer from the attached files and cite them.",
            Kind = SimulatedAgentKind.FileSearch,
        },
    ];
}
