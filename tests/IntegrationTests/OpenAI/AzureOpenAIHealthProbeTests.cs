using System.Text.Json;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
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
    public async Task SpendsAtMostOneCompletionToken()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = OpenAIAdapter.Key, Deployments = [OpenAIAdapter.Deployment] });
        await using var adapter = OpenAIAdapter.Create(sim.HttpAddress);
        using var http = new HttpClient { BaseAddress = sim.HttpAddress };

        await adapter.Probe.ProbeAsync(CancellationToken.None);
        var spent = await TokensInWindow(http);
        // The same prompt as a normal completion: its prompt tokens are what the probe's prompt cost.
        var reference = await adapter.Chat.CompleteAsync([ChatMessage.User("ping")], CancellationToken.None);

        Assert.That(spent, Is.EqualTo(reference.Usage.PromptTokens + 1));
    }

    private static async Task<int> TokensInWindow(HttpClient http)
    {
        using var state = JsonDocument.Parse(await http.GetStringAsync("_simulator/state"));
        return state.RootElement.GetProperty("deployments").GetProperty(OpenAIAdapter.Deployment).GetProperty("tokensInWindow").GetInt32();
    }
}
