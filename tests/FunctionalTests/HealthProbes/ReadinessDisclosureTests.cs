extern alias simulator;

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.HealthProbes;

/// <summary>/health/ready is anonymous (the platform's probes carry no key), so it tells an anonymous caller the
/// statuses and the mode of a healthy check (connected, simulated) only; the upstream's failure in words is for
/// authenticated callers.</summary>
public sealed class ReadinessDisclosureTests
{
    private const string ClientKey = "readiness-test-client-key-0123456789abcdef";

    private UpstreamApiFactory _upstream = null!;

    [SetUp]
    public async Task StartApi() => _upstream = await UpstreamApiFactory.StartAsync();

    [TearDown]
    public async Task StopApi() => await _upstream.DisposeAsync();

    private WebApplicationFactory<Program> Api(bool keys) => _upstream.WithWebHostBuilder(b =>
    {
        b.UseSetting("API_KEYS", string.Empty);
        if (keys)
        {
            b.UseSetting("Auth:ApiKeys:0:Name", "ops");
            b.UseSetting("Auth:ApiKeys:0:KeyHash", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ClientKey))));
        }
    });

    private async Task<(HttpStatusCode Status, JsonElement Body, string Text)> ReadyAsync(HttpClient client, string? key)
    {
        // The upstream fails the probe: /health/ready is 503 with a description of why.
        _upstream.Simulator.Faults.Add(new FaultSpec { Status = 503, Count = 1, Target = "openai" });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        if (key is not null)
        {
            request.Headers.Add("api-key", key);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    [TestCase(true, null)]
    [TestCase(true, "a-wrong-key-is-no-better-than-none-0123456789")]
    [TestCase(false, null)]
    public async Task ShouldHideTheFailureFromAnAnonymousCaller(bool keys, string? key)
    {
        await using var api = Api(keys);
        using var client = api.CreateClient();

        var (status, body, text) = await ReadyAsync(client, key);

        var openAi = body.GetProperty("checks").GetProperty("azure_openai");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), text);
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("unhealthy"));
            Assert.That(openAi.GetProperty("status").GetString(), Is.EqualTo("unhealthy"));
            Assert.That(openAi.TryGetProperty("description", out _), Is.False, text);
        });
    }

    [Test]
    public async Task ShouldTellAnyoneTheModeOfAHealthyCheck()
    {
        await using var api = Api(keys: true);
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/health/ready");

        var body = await response.ReadJsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("checks").GetProperty("azure_openai").GetProperty("description").GetString(), Is.EqualTo("connected"));
        });
    }

    [Test]
    public async Task ShouldDescribeTheFailureToAnAuthenticatedCaller()
    {
        await using var api = Api(keys: true);
        using var client = api.CreateClient();

        var (status, body, text) = await ReadyAsync(client, ClientKey);

        var openAi = body.GetProperty("checks").GetProperty("azure_openai");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), text);
            Assert.That(openAi.GetProperty("status").GetString(), Is.EqualTo("unhealthy"));
            Assert.That(openAi.GetProperty("description").GetString(), Is.Not.Empty, text);
            Assert.That(text, Does.Not.Contain(UpstreamApiFactory.ApiKey).And.Not.Contain(ClientKey));
        });
    }
}
