using System.Net;
using System.Text.Json;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Simulator;

/// <summary><c>GET /openai/deployments/{deployment}</c>: the token-free route health probes use.</summary>
[TestFixture]
public sealed class DeploymentEndpointTests
{
    private SimulatorServer _server = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await SimulatorServer.StartAsync();
        _client = SimulatorHttp.CreateClient(_server);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> GetAsync(string deployment, string? key = "simulator-key", string? apiVersion = SimulatorHttp.ApiVersion)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"openai/deployments/{deployment}" + (apiVersion is null ? string.Empty : $"?api-version={apiVersion}"));
        if (key is not null)
        {
            request.Headers.Add("api-key", key);
        }

        return await _client.SendAsync(request);
    }

    [Test]
    public async Task ShouldDescribeAKnownDeployment()
    {
        using var response = await GetAsync("gpt-4o");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("id").GetString(), Is.EqualTo("gpt-4o"));
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("deployment"));
            Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        });
    }

    [Test]
    public async Task ShouldRefuseAWrongKeyWith401()
    {
        using var response = await GetAsync("gpt-4o", key: "wrong-key");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task ShouldAnswer404ForAnUnknownDeploymentOrAMissingApiVersion()
    {
        using var unknown = await GetAsync("no-such-deployment");
        using var noVersion = await GetAsync("gpt-4o", apiVersion: null);

        Assert.Multiple(async () =>
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await unknown.Content.ReadAsStringAsync(), Does.Contain("DeploymentNotFound"));
            Assert.That(noVersion.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task ShouldApplyOpenAIFaultsAndSpendNoTokens()
    {
        _server.Faults.Add(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 7, Target = "openai" });

        using var throttled = await GetAsync("gpt-4o");
        using var next = await GetAsync("gpt-4o");

        Assert.Multiple(() =>
        {
            Assert.That(throttled.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(throttled.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(7)));
            Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(_server.Counters.Count("POST /openai/deployments/{deployment}/chat/completions"), Is.Zero);
        });
    }
}
