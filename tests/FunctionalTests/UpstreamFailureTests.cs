extern alias simulator;

using System.Net;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests;

/// <summary>Faults injected into a separately started simulator, seen through /chat, /completion (ProblemDetails)
/// and /health (the original error shape).</summary>
public sealed class UpstreamFailureTests
{
    private UpstreamApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartApi()
    {
        _factory = await UpstreamApiFactory.StartAsync();
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [TearDown]
    public void ClearFaults() => _factory.Simulator.Faults.Clear();

    private void Inject(FaultSpec fault) => _factory.Simulator.Faults.Add(fault);

    private Task<HttpResponseMessage> Chat() =>
        _client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"hello"}]}"""));

    [Test]
    public async Task ChatShouldAnswerNormallyWithoutFaults()
    {
        using var response = await Chat();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That((await response.ReadJsonAsync()).GetProperty("model").GetString(), Is.EqualTo(UpstreamApiFactory.Deployment));
    }

    [TestCase(401, HttpStatusCode.BadGateway, "upstream_authentication_failed")]
    [TestCase(403, HttpStatusCode.BadGateway, "upstream_authentication_failed")]
    [TestCase(404, HttpStatusCode.BadGateway, "upstream_not_found")]
    [TestCase(500, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(503, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(400, HttpStatusCode.BadRequest, "upstream_rejected_request")]
    public async Task ChatShouldMapUpstreamStatus(int upstreamStatus, HttpStatusCode expected, string code)
    {
        Inject(new FaultSpec { Status = upstreamStatus, Count = 1 });

        using var response = await Chat();

        var problem = await response.AssertProblemAsync(expected, code);
        AssertNoSecret(problem);
    }

    [Test]
    public async Task ChatShouldPassThrottlingOnWithRetryAfter()
    {
        Inject(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 7 });

        using var response = await Chat();

        var problem = await response.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Multiple(() =>
        {
            Assert.That(response.RetryAfter(), Is.EqualTo("7"));
            Assert.That(problem.GetProperty("retryAfterSeconds").GetInt32(), Is.EqualTo(7));
        });
    }

    [Test]
    public async Task CompletionShouldPassThrottlingOnWithRetryAfter()
    {
        Inject(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 30 });

        using var response = await _client.GetAsync("/completion?query=hi");

        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.That(response.RetryAfter(), Is.EqualTo("30"));
    }

    [Test]
    public async Task ChatShouldAnswer504WhenTheUpstreamIsTooSlow()
    {
        // 30 s of latency against a 1 s deadline: a timeout however busy the machine is, and never a slow success.
        await using var api = _factory.WithRequestTimeout(1);
        using var client = api.CreateClient();
        Inject(new FaultSpec { LatencyMs = 30_000, Count = 1 });

        using var response = await client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"hello"}]}"""));

        await response.AssertProblemAsync(HttpStatusCode.GatewayTimeout, "upstream_timeout");
    }

    [Test]
    public async Task ChatShouldAnswer503WhenTheConnectionIsDropped()
    {
        Inject(new FaultSpec { Drop = true, Count = 1 });

        using var response = await Chat();

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream_unavailable");
    }

    [Test]
    public async Task ChatShouldAnswer400ContentFilterWhenThePromptIsBlocked()
    {
        using var response = await _client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"please trigger-content-filter now"}]}"""));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "content_filter");
        AssertNoSecret(problem);
    }

    [Test]
    public async Task ChatShouldRecoverAfterTheFaultsAreUsedUp()
    {
        Inject(new FaultSpec { Status = 503, Count = 1 });

        using var failed = await Chat();
        using var recovered = await Chat();

        Assert.Multiple(() =>
        {
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(recovered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase(401, HttpStatusCode.Unauthorized, "authentication_failed")]
    [TestCase(403, HttpStatusCode.Unauthorized, "authentication_failed")]
    [TestCase(500, HttpStatusCode.ServiceUnavailable, "service_unavailable")]
    [TestCase(503, HttpStatusCode.ServiceUnavailable, "service_unavailable")]
    [TestCase(404, HttpStatusCode.InternalServerError, "deployment_not_found")]
    public async Task HealthShouldUseTheOriginalErrorShape(int upstreamStatus, HttpStatusCode expected, string error)
    {
        Inject(new FaultSpec { Status = upstreamStatus, Count = 1 });

        using var response = await _client.GetAsync("/health");

        await AssertHealthErrorAsync(response, expected, error);
    }

    [Test]
    public async Task HealthShouldAnswer429WithRetryAfterWhenThrottled()
    {
        Inject(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 12 });

        using var response = await _client.GetAsync("/health");

        await AssertHealthErrorAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.That(response.RetryAfter(), Is.EqualTo("12"));
    }

    [Test]
    public async Task HealthShouldAnswer503WhenTheUpstreamIsTooSlow()
    {
        await using var api = _factory.WithRequestTimeout(1);
        using var client = api.CreateClient();
        Inject(new FaultSpec { LatencyMs = 30_000, Count = 1 });

        using var response = await client.GetAsync("/health");

        await AssertHealthErrorAsync(response, HttpStatusCode.ServiceUnavailable, "timeout");
    }

    [Test]
    public async Task HealthShouldAnswer503WhenTheConnectionIsDropped()
    {
        Inject(new FaultSpec { Drop = true, Count = 1 });

        using var response = await _client.GetAsync("/health");

        await AssertHealthErrorAsync(response, HttpStatusCode.ServiceUnavailable, "service_unavailable");
    }

    private static async Task AssertHealthErrorAsync(HttpResponseMessage response, HttpStatusCode expected, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "status", "error", "message", "details" }));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("error"));
            Assert.That(body.GetProperty("error").GetString(), Is.EqualTo(error));
            Assert.That(body.GetProperty("message").GetString(), Is.Not.Empty);
            Assert.That(body.GetProperty("details").GetString(), Is.Not.Empty);
            Assert.That(text, Does.Not.Contain(UpstreamApiFactory.ApiKey));
        });
    }

    private static void AssertNoSecret(JsonElement problem) =>
        Assert.That(problem.ToString(), Does.Not.Contain(UpstreamApiFactory.ApiKey));
}
