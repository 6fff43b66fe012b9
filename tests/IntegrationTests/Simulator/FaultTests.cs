using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Wrapper.Simulator;
using static Wrapper.IntegrationTests.Simulator.SimulatorHttp;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class FaultTests : SimulatorFixture
{
    [SetUp]
    public void ClearFaults() => Server.Faults.Clear();

    [Test]
    public async Task ShouldAnswerTheInjectedStatusNTimesThenServeNormally()
    {
        using var added = await Client.PostAsJsonAsync(
            "_simulator/faults",
            new { status = 503, count = 2, retryAfterSeconds = 5, target = "openai" });
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        using var first = await PostChatAsync(Client, Body("x"));
        using var second = await PostChatAsync(Client, Body("x"));
        using var third = await PostChatAsync(Client, Body("x"));

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(Header(first, "retry-after"), Is.EqualTo("5"));
            Assert.That(Header(first, "retry-after-ms"), Is.EqualTo("5000"));
            Assert.That((await ReadJsonAsync(first)).GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("ServiceUnavailable"));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase(401, "401")]
    [TestCase(429, "429")]
    [TestCase(500, "InternalServerError")]
    [TestCase(503, "ServiceUnavailable")]
    public async Task ShouldAnswerEachInjectedStatusWithAnAzureShapedBody(int status, string code)
    {
        Server.Faults.Add(new FaultSpec { Status = status, RetryAfterSeconds = status == 429 ? 2 : null });

        using var response = await PostChatAsync(Client, Body("x"));

        Assert.That((int)response.StatusCode, Is.EqualTo(status));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code));
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
        Assert.That(Header(response, "retry-after"), Is.EqualTo(status == 429 ? "2" : string.Empty));
    }

    [Test]
    public async Task ShouldDelayTheNextResponsesByTheInjectedLatencyThenServeNormally()
    {
        Server.Faults.Add(new FaultSpec { LatencyMs = 300 });

        var stopwatch = Stopwatch.StartNew();
        using var delayed = await PostChatAsync(Client, Body("x"));
        stopwatch.Stop();

        Assert.That(delayed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(stopwatch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(280)));
        Assert.That(Server.Faults.Pending, Is.Empty, "the latency fault was used up");
    }

    [Test]
    public async Task ShouldDropTheConnectionWithoutAResponse()
    {
        Server.Faults.Add(new FaultSpec { Drop = true });

        Assert.ThrowsAsync<HttpRequestException>(() => PostChatAsync(Client, Body("x")));

        using var next = await PostChatAsync(Client, Body("x"));
        await SimulatorRecords.WaitUntilAsync(() => Server.Counters.Count("POST /openai/deployments/{deployment}/chat/completions", RequestCounters.Dropped) > 0);
        Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Server.Counters.Count("POST /openai/deployments/{deployment}/chat/completions", RequestCounters.Dropped), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task ShouldLeaveAFaultForAnotherTargetPending()
    {
        Server.Faults.Add(new FaultSpec { Status = 500, Target = "agents" });

        using var response = await PostChatAsync(Client, Body("x"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Server.Faults.Pending.Single().Target, Is.EqualTo("agents"));
    }

    [Test]
    public async Task ShouldApplyAFaultBeforeAuthentication()
    {
        Server.Faults.Add(new FaultSpec { Status = 500 });

        using var response = await PostChatAsync(Client, Body("x"), key: "wrong");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
    }
}
