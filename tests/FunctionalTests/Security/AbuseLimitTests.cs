using System.Net;
using System.Text;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

public sealed class AbuseLimitTests
{
    [Test]
    public async Task ShouldLimitEachClientSeparatelyWithRetryAfter()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["RateLimiting:PermitLimit"] = "2";
        settings["RateLimiting:WindowSeconds"] = "3600";
        await using var factory = new SecuredApiFactory(settings);
        using var client = factory.CreateClient();

        async Task<HttpResponseMessage> Get(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
            request.Headers.Add("api-key", key);
            return await client.SendAsync(request);
        }

        using var first = await Get(SecuredApiFactory.AliceKey);
        using var second = await Get(SecuredApiFactory.AliceKey);
        using var third = await Get(SecuredApiFactory.AliceKey);
        using var bob = await Get(SecuredApiFactory.BobKey);

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(bob.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another client has its own budget");
        });
        var problem = await third.AssertProblemAsync(HttpStatusCode.TooManyRequests, "client_rate_limited");
        var retryAfter = int.Parse(third.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(retryAfter, Is.InRange(1, 3600));
        Assert.That(problem.GetProperty("retryAfterSeconds").GetInt64(), Is.EqualTo(retryAfter));
    }

    [Test]
    public async Task ShouldRejectAnOversizedBody()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["MAX_REQUEST_BODY_BYTES"] = "2048";
        await using var factory = new SecuredApiFactory(settings);
        using var client = factory.CreateClient();
        var content = new string('a', 4096);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chat")
        {
            Content = HttpAssertions.Json($$"""{"messages":[{"role":"user","content":"{{content}}"}]}"""),
        };
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);
        using var response = await client.SendAsync(request);
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Test]
    public async Task ShouldRejectAnOversizedMcpBody()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["MAX_REQUEST_BODY_BYTES"] = "2048";
        await using var factory = new SecuredApiFactory(settings);
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"complete\",\"arguments\":{\"query\":\"" + new string('a', 4096) + "\"}}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task ShouldKeepCorsClosedByDefault()
    {
        await using var factory = new SecuredApiFactory();
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/chat");
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await client.SendAsync(request);
        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.False);
    }

    [Test]
    public async Task ShouldAllowConfiguredOrigins()
    {
        await using var factory = new SecuredApiFactory(new Dictionary<string, string> { ["Cors:AllowedOrigins:0"] = "https://app.example" });
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/chat");
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await client.SendAsync(request);
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("https://app.example"));
    }
}
