extern alias simulator;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Api.Simulation;
using simulator::Wrapper.Simulator;
using simulator::Wrapper.Simulator.Agents;

namespace Wrapper.FunctionalTests.Agents;

/// <summary>The API as it starts with no configuration (the embedded simulator answers the agent endpoints over https),
/// tuned for fast tests: quick polling, no silent retries, and the given run deadline; <paramref name="settings"/> are applied
/// last (client keys, for example).</summary>
public sealed class AgentApiFactory(string runDeadlineSeconds = "10", IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    /// <summary>The run deadline (a <c>[simulate:slow]</c> run passes it).</summary>
    public string RunDeadlineSeconds { get; } = runDeadlineSeconds;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development the embedded simulator answers only on request.
        builder.UseSetting("WRAPPER_ALLOW_SIMULATOR", "true");
        // Empty wins over any endpoint the machine might have in its environment.
        builder.UseSetting("OPENAI_ENDPOINT", string.Empty);
        builder.UseSetting("OPENAI_API_KEY", string.Empty);
        builder.UseSetting("OPENAI_SIMULATED", string.Empty);
        builder.UseSetting("AZURE_AI_PROJECT_ENDPOINT", string.Empty);
        builder.UseSetting("AZURE_AI_AGENT_ID", string.Empty);
        builder.UseSetting("SIMULATOR_LATENCY_PER_TOKEN_MS", "0");
        builder.UseSetting("AgentService:FirstPollDelayMs", "5");
        builder.UseSetting("AgentService:MaxPollDelayMs", "20");
        builder.UseSetting("AgentService:MaxRetries", "0");
        builder.UseSetting("AgentService:RunDeadlineSeconds", RunDeadlineSeconds);
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>The embedded simulator (started with the host).</summary>
    public SimulatorServer Simulator => Services.GetRequiredService<EmbeddedSimulator>().Server;

    public AgentStore Store => Simulator.Services.GetRequiredService<AgentStore>();
}
