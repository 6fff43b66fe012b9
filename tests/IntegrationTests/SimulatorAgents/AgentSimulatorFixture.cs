using Microsoft.Extensions.DependencyInjection;
using Wrapper.Simulator;
using Wrapper.Simulator.Agents;
using Wrapper.Simulator.Foundry;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Starts one simulator (http + https on 127.0.0.1:0) per fixture, expecting the bearer token <see cref="Token"/>.</summary>
public abstract class AgentSimulatorFixture
{
    public const string Token = "agents-test-token";

    protected SimulatorServer Server { get; private set; } = null!;

    protected AgentStore Store => Server.Services.GetRequiredService<AgentStore>();

    /// <summary>The state of the new Agent Service routes (agents by name, conversations, responses).</summary>
    protected FoundryStore Foundry => Server.Services.GetRequiredService<FoundryStore>();

    /// <summary>The authorized client on the project path.</summary>
    internal AgentServiceClient Client { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSimulatorAsync()
    {
        Server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            AgentBearerToken = Token,
            Agents = new AgentSimulatorOptions { RunStepDelayMs = 20, SlowRunMs = 120_000 },
        });
        Client = new AgentServiceClient(Server, Token);
    }

    [OneTimeTearDown]
    public async Task StopSimulatorAsync()
    {
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    [TearDown]
    public void ClearFaults() => Server.Faults.Clear();
}
