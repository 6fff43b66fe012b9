extern alias simulator;

using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.HealthProbes;

/// <summary>/health and /health/ready over HTTP against the simulator, for a dated and a v1 upstream alike: each
/// upstream state maps to its answer, and only routes the simulator's audit table marks as served by Azure are called
/// (src/Simulator/README.md).</summary>
[TestFixture("2025-04-01-preview")]
[TestFixture("v1")]
public sealed class UpstreamStateTests(string apiVersion)
{
    private UpstreamApiFactory _upstream = null!;

    private string ModelsRoute => apiVersion == "v1" ? "GET /openai/v1/models" : "GET /openai/models";

    private string ChatRoute => apiVersion == "v1" ? "POST /openai/v1/chat/completions" : "POST /openai/deployments/{deployment}/chat/completions";

    [OneTimeSetUp]
    public async Task StartUpstream() => _upstream = await UpstreamApiFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopUpstream() => await _upstream.DisposeAsync();

    [SetUp]
    public void Reset()
    {
        _upstream.Simulator.Faults.Clear();
        _upstream.Simulator.Counters.Reset();
    }

    [TearDown]
    public void OnlyAuditedRoutesWereCalled() =>
        Assert.That(_upstream.Simulator.Counters.Snapshot().Keys, Is.SubsetOf(new[] { ModelsRoute, ChatRoute }),
            "health called a route the audit table does not mark as served by Azure");

    private WebApplicationFactory<Program> Api(params (string Key, string Value)[] settings) =>
        _upstream.WithWebHostBuilder(b =>
        {
            b.UseSetting("OPENAI_API_VERSION", apiVersion);
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });

    private static async Task<(HttpResponseMessage Health, HttpResponseMessage Ready)> ProbeAsync(WebApplicationFactory<Program> api)
    {
        using var client = api.CreateClient();
        var health = await client.GetAsync("/health");
        var ready = await client.GetAsync("/health/ready");
        return (health, ready);
    }

    [Test]
    public async Task AnAnsweringUpstreamIsHealthyAndReady()
    {
        await using var api = Api();

        var (health, ready) = await ProbeAsync(api);

        var body = await health.ReadJsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body.GetProperty("azure_openai").GetString(), Is.EqualTo("connected"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(_upstream.Simulator.Counters.Count(ModelsRoute, "200"), Is.GreaterThanOrEqualTo(1));
            Assert.That(_upstream.Simulator.Counters.Count(ChatRoute), Is.EqualTo(1), "one deployment check for both probes");
        });
    }

    [Test]
    public async Task RejectedCredentialsAre401AndNotReady()
    {
        await using var api = Api(("OPENAI_API_KEY", "not-the-key"));

        var (health, ready) = await ProbeAsync(api);

        Assert.Multiple(async () =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((await health.ReadJsonAsync()).GetProperty("error").GetString(), Is.EqualTo("authentication_failed"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        });
    }

    [Test]
    public async Task AForbiddenPrincipalIs401AndNotReady()
    {
        await using var api = Api();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = 403, Count = 2, Target = "openai" });

        var (health, ready) = await ProbeAsync(api);

        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        });
    }

    [Test]
    public async Task ThrottlingIs429WithRetryAfterAndStaysReady()
    {
        await using var api = Api();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 30, Count = 2, Target = "openai" });

        var (health, ready) = await ProbeAsync(api);

        Assert.Multiple(async () =>
        {
            Assert.That(health.StatusCode, Is.EqualTo((HttpStatusCode)429));
            Assert.That(health.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "one replica's throttling is no reason to leave rotation");
            Assert.That((await ready.ReadJsonAsync()).GetProperty("status").GetString(), Is.EqualTo("degraded"));
        });
    }

    [TestCase(500)]
    [TestCase(503)]
    public async Task AServerErrorIs503AndNotReady(int status)
    {
        await using var api = Api();
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = status, Count = 2, Target = "openai" });

        var (health, ready) = await ProbeAsync(api);

        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        });
    }

    [Test]
    public async Task ARefusedConnectionIs503AndNotReady()
    {
        await using var api = Api(("OPENAI_ENDPOINT", ClosedPort().ToString()));

        var (health, ready) = await ProbeAsync(api);

        Assert.Multiple(async () =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That((await health.ReadJsonAsync()).GetProperty("error").GetString(), Is.EqualTo("service_unavailable"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        });
    }

    [Test]
    public async Task AMissingDeploymentIsReportedAndNotReady()
    {
        await using var api = Api(("OPENAI_MODEL_DEPLOYMENT_NAME", "no-such-deployment"));

        var (health, ready) = await ProbeAsync(api);

        Assert.Multiple(async () =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That((await health.ReadJsonAsync()).GetProperty("error").GetString(), Is.EqualTo("deployment_not_found"));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(_upstream.Simulator.Counters.Count(ChatRoute, "404"), Is.EqualTo(1), "one deployment check, kept for the interval");
        });
    }

    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
