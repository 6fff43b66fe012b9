using System.Globalization;
using System.Net;
using Wrapper.Simulator;
using static Wrapper.IntegrationTests.Simulator.SimulatorHttp;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class RateLimitTests
{
    [Test]
    public async Task ShouldAnswer429WithRetryAfterAndRateLimitHeadersOnceTheTokensPerMinuteAreSpent()
    {
        // Each request costs 8 prompt + 20 completion tokens; 60 TPM lets two through.
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            TokensPerMinute = 60,
            RequestsPerMinute = 100,
            AnswerTokens = 20,
        });
        using var client = CreateClient(server);

        using var first = await PostChatAsync(client, Body("x"));
        using var second = await PostChatAsync(client, Body("x"));
        using var third = await PostChatAsync(client, Body("x"));

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(first, "x-ratelimit-limit-tokens"), Is.EqualTo("60"));
            Assert.That(Header(first, "x-ratelimit-remaining-tokens"), Is.EqualTo("32"));
            Assert.That(Header(first, "x-ratelimit-remaining-requests"), Is.EqualTo("99"));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(second, "x-ratelimit-remaining-tokens"), Is.EqualTo("4"));
            Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(Header(third, "x-ratelimit-remaining-tokens"), Is.EqualTo("4"));
            Assert.That(Header(third, "x-ratelimit-remaining-requests"), Is.EqualTo("98"));
        });

        var retryAfter = int.Parse(Header(third, "retry-after"), CultureInfo.InvariantCulture);
        var retryAfterMs = long.Parse(Header(third, "retry-after-ms"), CultureInfo.InvariantCulture);
        Assert.That(retryAfter, Is.InRange(1, 60));
        Assert.That(retryAfterMs, Is.InRange(1, 60_000));
        Assert.That(retryAfter, Is.EqualTo((int)Math.Max(1, Math.Ceiling(retryAfterMs / 1000.0))));
        var error = (await ReadJsonAsync(third)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("429"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("exceeded token rate limit").And.Contain($"retry after {retryAfter} second"));
    }

    [Test]
    public async Task ShouldLimitRequestsPerMinute()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { RequestsPerMinute = 2 });
        using var client = CreateClient(server);

        using var first = await PostChatAsync(client, Body("x"));
        using var second = await PostChatAsync(client, Body("x"));
        using var third = await PostChatAsync(client, Body("x"));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(second, "x-ratelimit-remaining-requests"), Is.EqualTo("0"));
        Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(Header(third, "retry-after"), Is.Not.Empty);
    }

    [Test]
    public async Task ShouldKeepOneTokenWindowPerDeployment()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            AnswerTokens = 20,
            TokensPerMinute = 30,
            DeploymentTokensPerMinute = { ["gpt-4o"] = 0 },
        });
        using var client = CreateClient(server);

        using var mini1 = await PostChatAsync(client, Body("x"), deployment: "gpt-4o-mini");
        using var mini2 = await PostChatAsync(client, Body("x"), deployment: "gpt-4o-mini");
        using var unlimited1 = await PostChatAsync(client, Body("x"), deployment: "gpt-4o");
        using var unlimited2 = await PostChatAsync(client, Body("x"), deployment: "gpt-4o");

        Assert.That(mini1.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(mini2.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(unlimited1.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(unlimited2.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(unlimited2, "x-ratelimit-remaining-tokens"), Is.Empty, "an unlimited deployment sends no token limit headers");
    }

    [Test]
    public async Task ShouldLetARequestLargerThanTheWholeLimitThroughAnEmptyWindowOnly()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { AnswerTokens = 60, TokensPerMinute = 10 });
        using var client = CreateClient(server);

        using var first = await PostChatAsync(client, Body("x"));
        using var second = await PostChatAsync(client, Body("x"));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }
}
