using System.Net;
using System.Net.Http.Headers;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

public sealed class ApiKeyTests
{
    private SecuredApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _factory = new SecuredApiFactory(SecuredApiFactory.WithKeys());
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [TestCase("/completion?query=hi", "GET")]
    [TestCase("/chat", "POST")]
    [TestCase("/bing-grounding?query=hi", "POST")]
    [TestCase("/health", "GET")]
    [TestCase("/mcp", "POST")]
    [TestCase("/mcp", "GET")]
    [TestCase("/mcp", "DELETE")]
    [TestCase("/agents/plain", "POST")]
    [TestCase("/no-such-route", "GET")]
    public async Task ShouldRequireAKey(string path, string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = HttpAssertions.Json("""{"messages":[{"role":"user","content":"hi"}]}""");
        }

        using var response = await _client.SendAsync(request);
        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "missing_api_key");
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("Bearer"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("api-key"));
    }

    [Test]
    public async Task ShouldRejectAWrongKeyWithoutEchoingIt()
    {
        const string wrong = "wrong-key-that-must-not-be-echoed";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Add("api-key", wrong);
        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.That(body, Does.Not.Contain(wrong));
    }

    [Test]
    public async Task ShouldRejectAKeyThatOnlySharesAPrefix()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey[..^1]);
        using var response = await _client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task ShouldAcceptAHashedKeyInTheApiKeyHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);
        using var response = await _client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ShouldAcceptAKeyFromTheEnvironmentAsBearer()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredApiFactory.BobKey);
        using var response = await _client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ShouldRejectAKeyUnderAnotherScheme()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", SecuredApiFactory.BobKey);
        using var response = await _client.SendAsync(request);
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "missing_api_key");
    }

    [TestCase("/health/live")]
    [TestCase("/health/ready")]
    public async Task ShouldKeepTheProbesOpen(string path)
    {
        using var response = await _client.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ShouldServeHealthWithoutAKeyWhenConfigured()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["Auth:AllowAnonymousHealth"] = "true";
        await using var factory = new SecuredApiFactory(settings);
        using var client = factory.CreateClient();
        using var health = await client.GetAsync("/health");
        using var completion = await client.GetAsync("/completion?query=hi");
        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(completion.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task ShouldServeMcpWithAKey()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = HttpAssertions.Json("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""),
        };
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            Assert.That(body, Does.Contain("\"complete\""));
        });
    }

    [Test]
    public async Task ShouldIgnoreAKeyOnTheProbesAndKeepThemOpen()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        request.Headers.Add("api-key", "a-wrong-key-on-an-anonymous-route-0123456789");
        using var response = await _client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a wrong key on an anonymous route is not a refusal");
    }

    [Test]
    public async Task ShouldRequireAKeyForHealthByDefault()
    {
        using var anonymous = await _client.GetAsync("/health");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);
        using var keyed = await _client.SendAsync(request);
        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized, "missing_api_key");
        Assert.That(keyed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ShouldRunOpenWithoutKeys()
    {
        await using var factory = new SecuredApiFactory();
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/completion?query=hi");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
