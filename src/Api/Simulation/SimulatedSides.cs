using Wrapper.Application.Agents;

namespace Wrapper.Api.Simulation;

/// <summary>
/// Which upstreams this process answers from a simulator instead of Azure: the Azure OpenAI side
/// (<see cref="OpenAISimulatedKey"/>, set by the embedded simulator or by an operator pointing <c>OPENAI_ENDPOINT</c> at a
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

    /// <summary><c>true</c> when <c>OPENAI_ENDPOINT</c> is a simulator (set by the embedded one, or by an operator
    /// pointing it at a simulator of their own). A host setting: Application and Infrastructure never see it.</summary>
    public const string OpenAISimulatedKey = "OPENAI_SIMULATED";

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

    /// <summary>What <c>/health</c> and the MCP health tool show for Azure OpenAI once it answered: <c>simulated</c> or
    /// <c>connected</c>.</summary>
    public string OpenAIStatus => OpenAI ? "simulated" : "connected";

    /// <summary>What <c>/health</c>, the MCP health tool and <c>/health/ready</c> show for the Agent Service: its status,
    /// with <c>simulated</c> instead of <c>connected</c> when the simulator answers. The one place that says so.</summary>
    public string AgentServiceStatusOf(AgentServiceStatus status) =>
        Agents && status == AgentServiceStatus.Connected ? "simulated" : status.ToWireName();

    /// <summary>The sides of this process: Azure OpenAI from <c>OPENAI_SIMULATED</c>, the agents from the embedded
    /// simulator (registered by <c>EmbeddedSimulator.StartIfNoEndpointAsync</c> when it runs and the build includes it).</summary>
    public static SimulatedSides From(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
#if INCLUDE_SIMULATOR
        var agents = services.GetService<EmbeddedSimulator>()?.AgentsSimulated ?? false;
#else
        const bool agents = false; // a build without the simulator (-p:IncludeSimulator=false) never simulates the agents
#endif
        return new SimulatedSides(IsOpenAISimulated(configuration), agents);
    }

    /// <summary>True when <see cref="OpenAISimulatedKey"/> is <c>true</c>; a value other than true or false stops the start.</summary>
    public static bool IsOpenAISimulated(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[OpenAISimulatedKey];
        return string.IsNullOrWhiteSpace(value)
            ? false
            : bool.TryParse(value.Trim(), out var simulated)
                ? simulated
                : throw new InvalidOperationException($"{OpenAISimulatedKey} must be true or false, got '{value}'.");
    }
}
