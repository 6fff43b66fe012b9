using System.Text.Json;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.OpenAI;

[TestFixture]
public sealed class AzureOpenAIHealthProbeTests
{
    private SimulatorServer _sim = null!;

    [OneTimeSetUp]
    public async Task StartSimulator() =>
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = OpenAIAdapter.Key, Deployments = [OpenAIAdapter.Deployment] });

    [OneTimeTearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [SetUp]
    public void ResetSimulator() => _sim.Faults.Clear();

    [Test]
    public async Task ReportsAzureWhenTheUpstreamAnswers()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);

        Assert.That(await adapter.Probe.ProbeAsync(CancellationToken.None), Is.EqualTo(UpstreamMode.Azure));
    }

    [Test]
    public async Task ReportsSimulatedWhenConfiguredSo()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["OPENAI_SIMULATED"] = "true");

        Assert.That(await adapter.Probe.ProbeAsync(CancellationToken.None), Is.EqualTo(UpstreamMode.Simulated));
    }

    [Test]
    public async Task AWrongKeyIsAnAuthenticationFailure()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["OPENAI_API_KEY"] = "nope");

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Probe.ProbeAsync(CancellationToken.None))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Authentication));
    }

    [Test]
    public async Task AnUnknownDeploymentIsNotFound()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["OPENAI_MODEL_DEPLOYMENT_NAME"] = "missing");

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Probe.ProbeAsync(CancellationToken.None))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.NotFound));
    }

    [Test]
    public async Task AnUpstreamOutageIsUnavailable()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["AzureOpenAI:MaxRetries"] = "0");
        _sim.Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Probe.ProbeAsync(CancellationToken.None))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
    }

    [Test]
    public async Task SpendsNoTokens()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = OpenAIAdapter.Key, Deployments = [OpenAIAdapter.Deployment] });
        await using var adapter = OpenAIAdapter.Create(sim.HttpAddress);
        using var http = new HttpClient { BaseAddress = sim.HttpAddress };

        await adapter.Probe.ProbeAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            // The probe reads the deployment (GET /openai/deployments/{deployment}) instead of completing a prompt.
            Assert.That(await TokensInWindow(http), Is.Zero);
            Assert.That(sim.Counters.Count("GET /openai/deployments/{deployment}", "200"), Is.EqualTo(1));
            Assert.That(sim.Counters.Count("POST /openai/deployments/{deployment}/chat/completions"), Is.Zero);
        });
    }

    private static async Task<int> TokensInWindow(HttpClient http)
    {
        using var state = JsonDocument.Parse(await http.GetStringAsync("_simulator/state"));
        return state.RootElement.GetProperty("deployments").GetProperty(OpenAIAdapter.Deployment).GetProperty("tokensInWindow").GetInt32();
    }
}
