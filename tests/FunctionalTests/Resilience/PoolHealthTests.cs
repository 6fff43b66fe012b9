extern alias simulator;

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Api.Simulation;
using Wrapper.FunctionalTests.Streaming;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.Resilience;

/// <summary>The API configured with <c>AzureOpenAI:Upstreams</c> only (OPENAI_ENDPOINT empty): no embedded OpenAI
/// simulator, and /health and /health/ready reflect the pool (one answering upstream is enough; when none answers,
/// the most preferred upstream's failure in the original /health shape).</summary>
public sealed class PoolHealthTests
{
    private const string DeploymentRoute = "GET /openai/models";

    private PoolApiFactory _api = null!;

    [OneTimeSetUp]
    public async Task StartApi() => _api = await PoolApiFactory.StartAsync(2, s =>
    {
        s["OPENAI_ENDPOINT"] = string.Empty;
        s["AzureOpenAI:RequestTimeoutSeconds"] = "30";
    });

    [OneTimeTearDown]
    public async Task StopApi() => await _api.DisposeAsync();

    [SetUp]
    public void ResetSimulators() => _api.Reset();

    [Test]
    public void ShouldNotStartTheOpenAISimulatorForAPool()
    {
        var configuration = _api.Services.GetRequiredService<IConfiguration>();
        var embedded = _api.Services.GetService<EmbeddedSimulator>();

        Assert.Multiple(() =>
        {
            Assert.That(embedded?.OpenAISimulated ?? false, Is.False, "the agents may be simulated, Azure OpenAI is not");
            Assert.That(configuration["OPENAI_SIMULATED"], Is.Null.Or.Empty);
            Assert.That(configuration["OPENAI_ENDPOINT"], Is.Null.Or.Empty);
        });
    }

    [Test]
    public async Task HealthShouldBeConnectedThroughThePool()
    {
        using var client = _api.CreateClient();

        using var health = await client.GetAsync("/health");
        using var ready = await client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());

        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body.RootElement.GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(body.RootElement.GetProperty("azure_openai").GetString(), Is.EqualTo("connected"));
            // The pool is Azure OpenAI's side; only the agents (no AZURE_AI_PROJECT_ENDPOINT here) are simulated.
            Assert.That(health.Headers.GetValues(SimulatedModeHeaderMiddleware.HeaderName).Single(), Is.EqualTo("agents"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            // GET /openai/models spends no tokens; at most one deployment check (max_tokens 1) per upstream and interval.
            Assert.That(_api.Requests(0), Is.LessThanOrEqualTo(1));
            Assert.That(_api.Requests(1), Is.LessThanOrEqualTo(1));
        });
    }

    [Test]
    public async Task HealthShouldStayUpWhileOneUpstreamAnswers()
    {
        using var client = _api.CreateClient();
        _api.Simulators[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai", Count = 10 });

        using var health = await client.GetAsync("/health");
        using var ready = await client.GetAsync("/health/ready");

        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(_api.Simulators[1].Counters.Count(DeploymentRoute, "200"), Is.GreaterThanOrEqualTo(2));
        });
    }

    [Test]
    public async Task HealthShouldReportTheMostPreferredUpstreamsFailureWhenNoneAnswers()
    {
        using var client = _api.CreateClient();
        _api.Simulators[0].Faults.Add(new FaultSpec { Status = 401, Target = "openai", Count = 10 });
        _api.Simulators[1].Faults.Add(new FaultSpec { Status = 503, Target = "openai", Count = 10 });

        using var health = await client.GetAsync("/health");
        using var ready = await client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());

        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a (priority 1) refused our credentials");
            Assert.That(body.RootElement.GetProperty("status").GetString(), Is.EqualTo("error"));
            Assert.That(body.RootElement.GetProperty("error").GetString(), Is.EqualTo("authentication_failed"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(_api.Simulators[1].Counters.Count(DeploymentRoute, "503"), Is.GreaterThanOrEqualTo(1), "b was probed too");
        });
    }
}
