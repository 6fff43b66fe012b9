extern alias simulator;

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Wrapper.Api.Simulation;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests;

/// <summary>
/// No silent simulation in production: outside the Development environment a missing Azure endpoint stops the service
/// at start, naming the variable, unless <c>WRAPPER_ALLOW_SIMULATOR=true</c> asks for the built-in simulator; whatever
/// is simulated is named by <c>X-Wrapper-Simulated</c> on every response and by <c>/health</c> and <c>/health/ready</c>,
/// also when only one side is configured.
/// </summary>
public sealed class SimulatorPolicyTests
{
    private const string ApiKey = "policy-tests-simulator-key-5c1f0a9e";
    private const string ProjectEndpoint = "https://policy-tests.services.ai.azure.com/api/projects/policy-tests";

    private SimulatorServer _openAI = null!;

    [OneTimeSetUp]
    public async Task StartSimulator() =>
        _openAI = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = ApiKey, Deployments = ["gpt-4o-mini"], LatencyPerTokenMs = 0 });

    [OneTimeTearDown]
    public async Task StopSimulator() => await _openAI.DisposeAsync();

    [Test]
    public async Task ProductionWithoutEndpointsShouldRefuseToStartNamingBothVariables()
    {
        await using var api = Api("Production");

        var error = StartFails(api);

        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain("OPENAI_ENDPOINT"));
            Assert.That(error.Message, Does.Contain("AZURE_AI_PROJECT_ENDPOINT"));
            Assert.That(error.Message, Does.Contain("WRAPPER_ALLOW_SIMULATOR=true"));
            Assert.That(error.Message, Does.Contain("'Production'"));
        });
    }

    [Test]
    public async Task ProductionWithoutTheProjectEndpointShouldRefuseToStartNamingIt()
    {
        await using var api = Api("Production", ("OPENAI_ENDPOINT", _openAI.HttpAddress.ToString()), ("OPENAI_API_KEY", ApiKey));

        var error = StartFails(api);

        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.StartWith("AZURE_AI_PROJECT_ENDPOINT is not set"));
            Assert.That(error.Message, Does.Not.Contain("OPENAI_ENDPOINT"));
        });
    }

    [Test]
    public async Task StagingWithoutTheOpenAIEndpointShouldRefuseToStartNamingIt()
    {
        await using var api = Api("Staging", ("AZURE_AI_PROJECT_ENDPOINT", ProjectEndpoint), ("AZURE_AI_AGENT_ID", "asst_policy"));

        var error = StartFails(api);

        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.StartWith("OPENAI_ENDPOINT (or AzureOpenAI__Upstreams__0__Endpoint) is not set"));
            Assert.That(error.Message, Does.Not.Contain("AZURE_AI_PROJECT_ENDPOINT"));
        });
    }

    [TestCase("Development", "false")]
    [TestCase("Production", "yes")]
    public async Task AnExplicitRefusalOrAnUnreadableOptInShouldStopTheStart(string environment, string value)
    {
        await using var api = Api(environment, (EmbeddedSimulator.AllowKey, value));

        var error = StartFails(api);

        Assert.That(error.Message, Does.Contain(EmbeddedSimulator.AllowKey));
    }

    [Test]
    public async Task ProductionWithTheOptInShouldSimulateBothSidesAndSaySo()
    {
        await using var api = Api("Production", (EmbeddedSimulator.AllowKey, "true"));
        using var client = api.CreateClient();

        using var completion = await client.GetAsync("/completion?query=hi");
        using var health = await client.GetAsync("/health");
        using var ready = await client.GetAsync("/health/ready");
        using var notFound = await client.GetAsync("/no-such-route");

        Assert.Multiple(async () =>
        {
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            foreach (var response in new[] { completion, health, ready, notFound })
            {
                Assert.That(Simulated(response), Is.EqualTo("openai, agents"), response.RequestMessage!.RequestUri!.ToString());
            }

            var healthBody = await health.ReadJsonAsync();
            Assert.That(healthBody.GetProperty("azure_openai").GetString(), Is.EqualTo("simulated"));
            Assert.That(healthBody.GetProperty("agent_service").GetString(), Is.EqualTo("simulated"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await SimulatedSidesOfReadinessAsync(ready), Is.EqualTo(new[] { "openai", "agents" }));
        });
    }

    [Test]
    public async Task OnlyTheMissingAgentSideShouldBeReportedAsSimulated()
    {
        await using var api = Api("Production", (EmbeddedSimulator.AllowKey, "true"),
            ("OPENAI_ENDPOINT", _openAI.HttpAddress.ToString()), ("OPENAI_API_KEY", ApiKey));
        using var client = api.CreateClient();

        using var completion = await client.GetAsync("/completion?query=hi");
        using var grounding = await client.PostAsync("/bing-grounding?query=hi", null);
        using var health = await client.GetAsync("/health");
        using var ready = await client.GetAsync("/health/ready");

        Assert.Multiple(async () =>
        {
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(grounding.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            foreach (var response in new[] { completion, grounding, health, ready })
            {
                Assert.That(Simulated(response), Is.EqualTo("agents"), response.RequestMessage!.RequestUri!.ToString());
            }

            var healthBody = await health.ReadJsonAsync();
            Assert.That(healthBody.GetProperty("azure_openai").GetString(), Is.EqualTo("connected"));
            Assert.That(healthBody.GetProperty("agent_service").GetString(), Is.EqualTo("simulated"));
            Assert.That(await SimulatedSidesOfReadinessAsync(ready), Is.EqualTo(new[] { "agents" }));
        });
    }

    [Test]
    public async Task OnlyTheMissingOpenAISideShouldBeReportedAsSimulated()
    {
        await using var api = Api("Production", (EmbeddedSimulator.AllowKey, "true"),
            ("AZURE_AI_PROJECT_ENDPOINT", ProjectEndpoint), ("AZURE_AI_AGENT_ID", "asst_policy"));
        using var client = api.CreateClient();

        // Neither call reaches the (unreachable) Agent Service.
        using var completion = await client.GetAsync("/completion?query=hi");
        using var live = await client.GetAsync("/health/live");

        Assert.Multiple(() =>
        {
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Simulated(completion), Is.EqualTo("openai"));
            Assert.That(Simulated(live), Is.EqualTo("openai"));
        });
    }

    [Test]
    public async Task DevelopmentShouldSimulateWithoutAnyOptIn()
    {
        await using var api = Api("Development");
        using var client = api.CreateClient();

        using var completion = await client.GetAsync("/completion?query=hi");

        Assert.Multiple(() =>
        {
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Simulated(completion), Is.EqualTo("openai, agents"));
        });
    }

    [Test]
    public async Task NothingSimulatedShouldMeanNoHeaderAndAnEmptyList()
    {
        // Both endpoints configured: the Agent Service is unreachable, which readiness reports as degraded (200).
        await using var api = Api("Production", ("OPENAI_ENDPOINT", _openAI.HttpAddress.ToString()), ("OPENAI_API_KEY", ApiKey),
            ("AZURE_AI_PROJECT_ENDPOINT", ProjectEndpoint), ("AZURE_AI_AGENT_ID", "asst_policy"),
            ("AgentService:RequestTimeoutSeconds", "2"), ("AgentService:MaxRetries", "0"));
        using var client = api.CreateClient();

        using var completion = await client.GetAsync("/completion?query=hi");

        Assert.Multiple(() =>
        {
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(completion.Headers.Contains(SimulatedModeHeaderMiddleware.HeaderName), Is.False);
        });
    }

    private static WebApplicationFactory<Program> Api(string environment, params (string Key, string Value)[] settings) =>
        new PolicyApiFactory(environment, settings);

    private static Exception StartFails(WebApplicationFactory<Program> api)
    {
        var error = Assert.Throws<SimulatorNotAllowedException>(() => api.CreateClient().Dispose());
        return error!;
    }

    private static string? Simulated(HttpResponseMessage response) =>
        response.Headers.TryGetValues(SimulatedModeHeaderMiddleware.HeaderName, out var values) ? string.Join("|", values) : null;

    private static async Task<string[]> SimulatedSidesOfReadinessAsync(HttpResponseMessage ready)
    {
        var body = await ready.ReadJsonAsync();
        return body.GetProperty("simulated").EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private sealed class PolicyApiFactory(string environment, (string Key, string Value)[] settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(environment);
            // Empty wins over anything the machine has in its environment.
            foreach (var key in new[] { "OPENAI_ENDPOINT", "OPENAI_API_KEY", "OPENAI_SIMULATED", "AZURE_AI_PROJECT_ENDPOINT", "AZURE_AI_AGENT_ID", "API_KEYS", EmbeddedSimulator.AllowKey })
            {
                builder.UseSetting(key, string.Empty);
            }

            builder.UseSetting("SIMULATOR_LATENCY_PER_TOKEN_MS", "0");
            builder.UseSetting("AgentService:FirstPollDelayMs", "5");
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
