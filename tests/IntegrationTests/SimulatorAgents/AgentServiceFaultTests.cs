using System.Diagnostics;
using System.Net;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>The shared fault queue (target <c>agents</c>) applied to the Agent Service routes.</summary>
public sealed class AgentServiceFaultTests : AgentSimulatorFixture
{
    [Test]
    public async Task RateLimitFault_Is429WithRetryAfter_ThenTheRouteWorksAgain()
    {
        Server.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 7, Target = FaultInjector.AgentsTarget });

        var limited = await Client.PostAsync("threads", new { });
        var next = await Client.PostAsync("threads", new { });

        Assert.Multiple(() =>
        {
            Assert.That(limited.Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(limited.ErrorCode, Is.EqualTo("rate_limit_exceeded"));
            Assert.That(limited.Body!["error"]!["message"]!.GetValue<string>(), Does.Contain("7 seconds"));
            Assert.That(limited.Headers.GetValues("retry-after"), Is.EqualTo(new[] { "7" }));
            Assert.That(limited.Headers.GetValues("retry-after-ms"), Is.EqualTo(new[] { "7000" }));
            Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task UnavailableFault_AppliesToAsManyRequestsAsItsCount_OnAnyAgentRoute()
    {
        var (threadId, run) = await Client.AskAsync("asst_plain", "hello");
        Server.Faults.Add(new FaultSpec { Status = 503, Count = 2, Target = FaultInjector.AgentsTarget });

        var poll = await Client.GetAsync($"threads/{threadId}/runs/{run["id"]!.GetValue<string>()}");
        var list = await Client.GetAsync($"threads/{threadId}/messages");
        var delete = await Client.DeleteAsync($"threads/{threadId}");

        Assert.Multiple(() =>
        {
            Assert.That(poll.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(poll.ErrorCode, Is.EqualTo("service_unavailable"));
            Assert.That(list.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(delete.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Server.Faults.Pending, Is.Empty);
        });
    }

    [Test]
    public async Task FaultsComeBeforeAuthentication()
    {
        Server.Faults.Add(new FaultSpec { Status = 503, Target = FaultInjector.AgentsTarget });
        using var anonymous = new AgentServiceClient(Server, token: null);

        var reply = await anonymous.GetAsync("assistants/asst_bing");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
    }

    [Test]
    public async Task DropFault_ClosesTheConnectionWithoutAResponse()
    {
        Server.Faults.Add(new FaultSpec { Drop = true, Target = FaultInjector.AgentsTarget });
        // A new connection: HttpClient would silently retry a request that failed on a reused one.
        using var fresh = new AgentServiceClient(Server, Token);

        Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync("assistants/asst_bing"));
        var after = await Client.GetAsync("assistants/asst_bing");
        await SimulatorRecords.WaitUntilAsync(() => Server.Counters.Count("GET /api/projects/{project}/assistants/{assistantId}", RequestCounters.Dropped) > 0);

        Assert.Multiple(() =>
        {
            Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Server.Counters.Count("GET /api/projects/{project}/assistants/{assistantId}", RequestCounters.Dropped), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task LatencyFault_DelaysTheAnswer_ThenServesItNormally()
    {
        Server.Faults.Add(new FaultSpec { LatencyMs = 300, Target = FaultInjector.AgentsTarget });
        var watch = Stopwatch.StartNew();

        var reply = await Client.GetAsync("assistants/asst_bing");

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)), "the answer waited for the injected latency");
        });
    }

    [Test]
    public async Task OpenAIFault_DoesNotTouchTheAgentRoutes_ButAnUntargetedFaultDoes()
    {
        Server.Faults.Add(new FaultSpec { Status = 500, Target = FaultInjector.OpenAITarget });

        var agents = await Client.GetAsync("assistants/asst_bing");
        Assert.Multiple(() =>
        {
            Assert.That(agents.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Server.Faults.Pending, Has.Count.EqualTo(1), "the openai fault is still pending");
        });

        Server.Faults.Clear();
        Server.Faults.Add(new FaultSpec { Status = 500 });
        var untargeted = await Client.GetAsync("assistants/asst_bing");
        Assert.Multiple(() =>
        {
            Assert.That(untargeted.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(untargeted.ErrorCode, Is.EqualTo("server_error"));
        });
    }
}
