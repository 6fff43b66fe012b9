namespace Wrapper.Api.Simulation;

/// <summary>
/// Which upstreams this process answers from a simulator instead of Azure: the Azure OpenAI side
/// (<c>OPENAI_SIMULATED=true</c>, set by the embedded simulator or by an operator pointing <c>OPENAI_ENDPOINT</c> at a
/// simulator of their own) and the Agent Service side (the embedded simulator stands in for a missing
/// <c>AZURE_AI_PROJECT_ENDPOINT</c>). Reported by <c>X-Wrapper-Simulated</c> on every response, by <c>/health</c> per
/// side and by <c>/health/ready</c>'s <c>simulated</c> list.
/// </summary>
public sealed record SimulatedSides(bool OpenAI, bool Agents)
{
    /// <summary>The Azure OpenAI side's name in <c>X-Wrapper-Simulated</c> and <c>/health/ready</c>.</summary>
    public const string OpenAIName = "openai";

    /// <summary>The Agent Service side's name in <c>X-Wrapper-Simulated</c> and <c>/health/ready</c>.</summary>
    public const string AgentsName = "agents";

    /// <summary>True when at least one side is simulated.</summary>
    public bool Any => OpenAI || Agents;

    /// <summary>The simulated sides, Azure OpenAI first: <c>[]</c>, <c>["openai"]</c>, <c>["agents"]</c> or both.</summary>
    public IReadOnlyList<string> Names { get; } = (OpenAI, Agents) switch
    {
        (true, true) => [OpenAIName, AgentsName],
        (true, false) => [OpenAIName],
        (false, true) => [AgentsName],
        _ => [],
    };

    /// <summary>The <c>X-Wrapper-Simulated</c> value: <c>openai</c>, <c>agents</c> or <c>openai, agents</c>.</summary>
    public string HeaderValue => string.Join(", ", Names);

    /// <summary>The sides of this process: Azure OpenAI from <c>OPENAI_SIMULATED</c>, the agents from the embedded
    /// simulator (registered by <see cref="EmbeddedSimulator.StartIfNoEndpointAsync"/> when it runs).</summary>
    public static SimulatedSides From(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        return new SimulatedSides(
            DependencyInjection.IsSimulated(configuration),
            services.GetService<EmbeddedSimulator>()?.AgentsSimulated ?? false);
    }
}
