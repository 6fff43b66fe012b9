extern alias simulator;

using System.Globalization;
using System.Net;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.FunctionalTests.Streaming;
using simulator::Wrapper.Simulator;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests.Resilience;

/// <summary>What a client of <c>POST /chat</c> gets when every upstream of a pool of two fails, for each kind of
/// failure (docs/resilience.md lists the same table). Each test has its own pool, so no circuit carries over.</summary>
public sealed class PoolStatusTests
{
    private static Task<HttpResponseMessage> Chat(HttpClient client) =>
        client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"hello"}]}"""));

    private static async Task<(PoolApiFactory Factory, HttpClient Client)> StartAsync(Action<Dictionary<string, string?>>? settings = null)
    {
        var factory = await PoolApiFactory.StartAsync(2, settings);
        return (factory, factory.CreateClient());
    }

    [TestCase(503, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(500, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(502, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    // Issue 13: one status map for Azure OpenAI and the Agent Service; an upstream's 504 is a timeout for both.
    [TestCase(504, HttpStatusCode.GatewayTimeout, "upstream_timeout")]
    [TestCase(400, HttpStatusCode.BadRequest, "upstream_rejected_request")]
    public async Task EveryUpstreamFailingAnswersTheMappedStatus(int status, HttpStatusCode expected, string code)
    {
        var (factory, client) = await StartAsync();
        await using var _ = factory;
        using var __ = client;
        foreach (var sim in factory.Simulators)
        {
            sim.Faults.Add(new FaultSpec { Status = status, Target = "openai" });
        }

        using var response = await Chat(client);

        await response.AssertProblemAsync(expected, code);
    }

    [Test]
    public async Task EveryUpstreamThrottledAnswers429WithRetryAfterFromTheEarliestRecovery()
    {
        var (factory, client) = await StartAsync();
        await using var _ = factory;
        using var __ = client;
        factory.Simulators[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 40, Target = "openai" });
        factory.Simulators[1].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 25, Target = "openai" });

        using var first = await Chat(client);
        using var second = await Chat(client);

        var problem = await second.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(int.Parse(first.RetryAfter()!, CultureInfo.InvariantCulture), Is.InRange(24, 25));
            Assert.That(int.Parse(second.RetryAfter()!, CultureInfo.InvariantCulture), Is.InRange(24, 25));
            Assert.That(problem.GetProperty("retryAfterSeconds").GetInt32(), Is.InRange(24, 25));
            Assert.That(factory.Requests(0) + factory.Requests(1), Is.EqualTo(2), "the second request reached no upstream");
        });
    }

    [Test]
    public async Task ThrottledAndMisconfiguredAnswers503WithRetryAfter()
    {
        var (factory, client) = await StartAsync(s => s["AzureOpenAI:Upstreams:1:ApiKey"] = "wrong-key");
        await using var _ = factory;
        using var __ = client;
        factory.Simulators[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 15, Target = "openai" });

        using var response = await Chat(client);

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream_unavailable");
        Assert.Multiple(() =>
        {
            Assert.That(int.Parse(response.RetryAfter()!, CultureInfo.InvariantCulture), Is.InRange(14, 15));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Not.Contain("wrong-key").And.Not.Contain(PoolApiFactory.ApiKey));
        });
    }

    [Test]
    public async Task OneFailingUpstreamIsInvisibleToTheClient()
    {
        var (factory, client) = await StartAsync();
        await using var _ = factory;
        using var __ = client;
        factory.Simulators[0].Faults.Add(new FaultSpec { Drop = true, Target = "openai" });

        using var response = await Chat(client);
        await SimulatorRecords.WaitUntilAsync(() => factory.Requests(0, RequestCounters.Dropped) > 0);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(factory.Requests(0, RequestCounters.Dropped), Is.EqualTo(1));
            Assert.That(factory.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task TheRequestDeadlineAnswers504()
    {
        var (factory, client) = await StartAsync(s => s["AzureOpenAI:RequestTimeoutSeconds"] = "0.5");
        await using var _ = factory;
        using var __ = client;
        factory.Simulators[0].Faults.Add(new FaultSpec { LatencyMs = 30_000, Target = "openai" });

        using var response = await Chat(client);

        await response.AssertProblemAsync(HttpStatusCode.GatewayTimeout, "upstream_timeout");
        Assert.That(factory.Requests(1), Is.Zero);
    }
}
