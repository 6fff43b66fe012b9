extern alias simulator;

using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.HealthProbes;

/// <summary>GET /health is cached and spends no tokens beyond one deployment check per interval; /health/live and /health/ready for Container Apps probes;
/// X-Instance-Id on every response.</summary>
public sealed class HealthProbeTests
{
    private const string DeploymentRoute = "GET /openai/models";
    private const string ChatRoute = "POST /openai/deployments/{deployment}/chat/completions";

    private UpstreamApiFactory _upstream = null!;

    [SetUp]
    public async Task StartApi() => _upstream = await UpstreamApiFactory.StartAsync();

    [TearDown]
    public async Task StopApi() => await _upstream.DisposeAsync();

    // A generous upstream deadline: a cold host's first call on a busy machine must not read as a timeout.
    private WebApplicationFactory<Program> With(string key, string value) =>
        _upstream.WithWebHostBuilder(b => b.UseSetting("AzureOpenAI:RequestTimeoutSeconds", "30").UseSetting(key, value));

    private WebApplicationFactory<Program> Api() => With("Health:CacheSeconds", "0");

    [Test]
    public async Task HealthShouldProbeTheUpstreamAtMostOncePerIntervalAndCheckTheDeploymentOnce()
    {
        await using var api = With("Health:CacheSeconds", "300");
        using var client = api.CreateClient();

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync("/health")));
        var sequential = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            sequential.Add(await client.GetAsync(i % 2 == 0 ? "/health" : "/health/ready"));
        }

        Assert.Multiple(() =>
        {
            Assert.That(concurrent.Concat(sequential).Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(_upstream.Simulator.Counters.Count(DeploymentRoute, "200"), Is.EqualTo(1));
            // GET /openai/models spends no tokens; the deployment check (max_tokens 1) runs once per interval.
            Assert.That(_upstream.Simulator.Counters.Count(ChatRoute), Is.EqualTo(1), "one deployment check, then no more tokens");
        });
    }

    [Test]
    public async Task HealthShouldCacheFailuresToo()
    {
        await using var api = With("Health:CacheSeconds", "300");
        using var client = api.CreateClient();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = 401, Count = 1 });

        using var first = await client.GetAsync("/health");
        using var second = await client.GetAsync("/health");

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the cached failure answers");
            Assert.That(_upstream.Simulator.Counters.Count(DeploymentRoute), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task LiveShouldNeverTouchTheUpstream()
    {
        await using var api = Api();
        using var client = api.CreateClient();
        _upstream.Simulator.Faults.Add(new FaultSpec { Drop = true, Count = 100 });

        using var response = await client.GetAsync("/health/live");

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await response.ReadJsonAsync()).GetProperty("status").GetString(), Is.EqualTo("healthy"));
            Assert.That(_upstream.Simulator.Counters.Total, Is.Zero);
        });
    }

    [Test]
    public async Task ReadyShouldAnswer200WhenTheUpstreamAnswers()
    {
        await using var api = Api();
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/health/ready");

        var body = await response.ReadJsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("checks").GetProperty("azure_openai").GetProperty("status").GetString(), Is.EqualTo("healthy"));
        });
    }

    [TestCase(401)]
    [TestCase(404)]
    [TestCase(503)]
    public async Task ReadyShouldAnswer503WhenTheUpstreamCannotBeUsed(int upstreamStatus)
    {
        await using var api = Api();
        using var client = api.CreateClient();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = upstreamStatus, Count = 1, Target = "openai" });

        using var response = await client.GetAsync("/health/ready");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), text);
            Assert.That(text, Does.Contain("\"unhealthy\""));
            Assert.That(text, Does.Not.Contain(UpstreamApiFactory.ApiKey));
        });
    }

    [Test]
    public async Task ReadyShouldStayUpWhenTheUpstreamThrottles()
    {
        await using var api = Api();
        using var client = api.CreateClient();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 30, Target = "openai" });

        using var response = await client.GetAsync("/health/ready");

        var body = await response.ReadJsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("degraded"));
        });
    }

    [Test]
    public async Task EveryResponseShouldNameTheInstance()
    {
        await using var api = With("INSTANCE_ID", "wrapper-7");
        using var client = api.CreateClient();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = 401, Count = 1, Target = "openai" });

        using var healthError = await client.GetAsync("/health");
        using var notFound = await client.GetAsync("/no-such-route");
        using var badRequest = await client.PostAsync("/chat", HttpAssertions.Json("{"));
        using var live = await client.GetAsync("/health/live");
        using var ok = await client.GetAsync("/health");

        Assert.Multiple(() =>
        {
            Assert.That(healthError.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(notFound.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(badRequest.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            foreach (var response in new[] { healthError, notFound, badRequest, live, ok })
            {
                Assert.That(response.Headers.GetValues("X-Instance-Id").Single(), Is.EqualTo("wrapper-7"), response.RequestMessage?.RequestUri?.ToString());
            }
        });
    }

    [Test]
    public async Task InstanceIdShouldDefaultToTheHostName()
    {
        await using var api = With("INSTANCE_ID", string.Empty); // empty wins over the machine's environment
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/health/live");

        Assert.That(response.Headers.GetValues("X-Instance-Id").Single(), Is.EqualTo(Environment.MachineName));
    }
}
