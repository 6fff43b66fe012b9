using System.Net;
using System.Net.Http.Json;
using System.Text;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Gateway;

/// <summary>Passive health and failover: a failing backend leaves the pool at the first failure, the request
/// that met the failure is answered by another backend, and the backend rejoins after its period.</summary>
[TestFixture]
public sealed class FailoverTests : GatewayOverFakeBackends
{
    private static async Task<string> PinAsync(HttpClient client)
    {
        using var response = await client.GetAsync("completion");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return response.ServedByOf()!;
    }

    [TestCase(500)]
    [TestCase(502)]
    [TestCase(503)]
    [TestCase(504)]
    [TestCase(429)]
    public async Task ShouldAnswerFromAnotherBackendAndMoveThePinnedClientWhenItsBackendFails(int status)
    {
        var gateway = await StartAsync(3);
        using var client = gateway.CreateClient(new CookieContainer());
        var pinned = await PinAsync(client);
        var failing = Backends.Single(b => b.Name == pinned);
        failing.FailWith(status);

        using var response = await client.GetAsync("completion");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the failure is not the client's to see");
        var movedTo = response.ServedByOf();
        Assert.That(movedTo, Is.Not.EqualTo(pinned).And.Not.Null);
        Assert.That(response.AffinityCookieSet(), Is.EqualTo(movedTo), "the client is re-pinned to the backend that answered");
        Assert.That((await response.JsonAsync()).GetProperty("backend").GetString(), Is.EqualTo(movedTo),
            "nothing of the failed answer is mixed in");
        Assert.That(failing.CountRequests(), Is.EqualTo(2), "the failing backend was tried once");

        var state = await gateway.StatusOfAsync(pinned);
        Assert.Multiple(() =>
        {
            Assert.That(state.Available, Is.False);
            Assert.That(state.PassiveHealth, Is.EqualTo("Unhealthy"));
            Assert.That(state.LastFailure, Is.EqualTo($"status {status}"));
            Assert.That(state.FailedOver, Is.EqualTo(1));
            Assert.That(state.AffinityMovedAway, Is.EqualTo(1));
        });

        // Out of the pool from the very next request: the pinned client and others stay away from it.
        for (var i = 0; i < 6; i++)
        {
            using var next = await client.GetAsync("completion");
            Assert.That(next.ServedByOf(), Is.EqualTo(movedTo));
        }

        using var anonymous = gateway.CreateClient();
        for (var i = 0; i < 6; i++)
        {
            using var next = await anonymous.GetAsync("completion");
            Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(next.ServedByOf(), Is.Not.EqualTo(pinned));
        }

        Assert.That(failing.CountRequests(), Is.EqualTo(2));
    }

    [Test]
    public async Task ShouldFailOverWhenTheBackendDropsTheConnection()
    {
        var gateway = await StartAsync(2);
        Backends[0].DropConnections();
        using var client = gateway.CreateClient();

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("completion");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.ServedByOf(), Is.EqualTo("api-2"));
        }

        var state = await gateway.StatusOfAsync("api-1");
        Assert.That(state.Available, Is.False);
        Assert.That(state.LastFailure, Does.StartWith("transport error"));
        Assert.That(Backends[0].CountRequests(), Is.EqualTo(1));
    }

    [Test]
    public async Task ShouldFailOverWhenTheBackendIsGone()
    {
        var gateway = await StartAsync(2);
        await Backends[0].DisposeAsync();
        Backends.RemoveAt(0);
        using var client = gateway.CreateClient();

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("completion");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.ServedByOf(), Is.EqualTo("api-2"));
        }

        Assert.That((await gateway.StatusOfAsync("api-1")).LastFailure, Is.EqualTo("transport error Request"));
    }

    [Test]
    public async Task ShouldReplayTheRequestBodyOnTheNextBackend([Values] bool chunked)
    {
        var gateway = await StartAsync(2);
        using var client = gateway.CreateClient(new CookieContainer());
        var pinned = await PinAsync(client);
        Backends.Single(b => b.Name == pinned).FailWith(503);
        var json = """{"messages":[{"role":"user","content":"Hello, gateway"}]}""";

        using var content = chunked
            ? (HttpContent)JsonContent.Create(System.Text.Json.JsonDocument.Parse(json).RootElement)
            : new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("chat", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var bodies = Backends.SelectMany(b => b.Requests).Where(r => r.Method == "POST").Select(r => r.Body).ToList();
        Assert.That(bodies, Has.Count.EqualTo(2), "tried on the pinned backend, then on the other");
        Assert.That(bodies.Select(b => System.Text.Json.JsonDocument.Parse(b).RootElement.GetRawText()),
            Is.All.EqualTo(System.Text.Json.JsonDocument.Parse(json).RootElement.GetRawText()));
    }

    [Test]
    public async Task ShouldNotReplayABodyLargerThanTheLimit()
    {
        var gateway = await StartAsync(2, new Dictionary<string, string?> { ["Gateway:Failover:MaxReplayBodyBytes"] = "16" });
        using var client = gateway.CreateClient(new CookieContainer());
        var pinned = await PinAsync(client);
        Backends.Single(b => b.Name == pinned).FailWith(503);

        using var response = await client.PostAsync("chat", new StringContent(new string('x', 100)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "sent once: the backend's answer is the answer");
        Assert.That(response.ServedByOf(), Is.EqualTo(pinned));
        Assert.That((await response.JsonAsync()).GetProperty("error").GetString(), Is.EqualTo("fake failure"));
        Assert.That((await gateway.StatusOfAsync(pinned)).Available, Is.False, "it still leaves the pool");
    }

    [Test]
    public async Task ShouldHonourRetryAfterInSecondsForTheTimeOutOfThePoolAndLetTheBackendRejoin()
    {
        var gateway = await StartAsync(2);
        Backends[0].FailWith(429, retryAfter: "1");
        using var client = gateway.CreateClient();
        using (var request = new HttpRequestMessage(HttpMethod.Get, "completion"))
        {
            request.Headers.Add("Cookie", "APIM-Backend-Instance=api-1");
            using var response = await client.SendAsync(request);
            Assert.That(response.ServedByOf(), Is.EqualTo("api-2"));
        }

        var state = await gateway.StatusOfAsync("api-1");
        Assert.That(state.Available, Is.False);
        Assert.That((state.UnhealthyUntil!.Value - state.LastFailureAt!.Value).TotalSeconds, Is.EqualTo(1).Within(0.2),
            "Retry-After: 1 wins over the configured minute");

        Backends[0].Recover();
        await Eventually.UntilAsync(() => gateway.StatusOfAsync("api-1"), s => s.Available, TimeSpan.FromSeconds(10), "api-1 rejoins");

        var servedBy = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("completion");
            servedBy.Add(response.ServedByOf()!);
        }

        Assert.That(servedBy, Is.EquivalentTo(new[] { "api-1", "api-2" }));
    }

    [Test]
    public async Task ShouldHonourRetryAfterAsADateAndCapIt()
    {
        var gateway = await StartAsync(3, new Dictionary<string, string?> { ["Gateway:PassiveHealth:MaxReactivationPeriod"] = "00:00:20" });
        Backends[0].FailWith(503, DateTimeOffset.UtcNow.AddSeconds(10).ToString("R"));
        Backends[1].FailWith(503, "3600");
        using var client = gateway.CreateClient();
        foreach (var pinned in new[] { "api-1", "api-2" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
            request.Headers.Add("Cookie", $"APIM-Backend-Instance={pinned}");
            using var response = await client.SendAsync(request);
            Assert.That(response.ServedByOf(), Is.EqualTo("api-3"));
        }

        var first = await gateway.StatusOfAsync("api-1");
        var second = await gateway.StatusOfAsync("api-2");
        Assert.That((first.UnhealthyUntil!.Value - first.LastFailureAt!.Value).TotalSeconds, Is.InRange(8.0, 10.5), "the HTTP date");
        Assert.That((second.UnhealthyUntil!.Value - second.LastFailureAt!.Value).TotalSeconds, Is.EqualTo(20).Within(0.2), "capped");
    }

    [Test]
    public async Task ShouldPassTheLastBackendsFailureThroughThenAnswer503WithRetryAfterWhenNoBackendIsHealthy()
    {
        var gateway = await StartAsync(2, new Dictionary<string, string?> { ["Gateway:PassiveHealth:ReactivationPeriod"] = "00:00:30" });
        Backends[0].FailWith(503);
        Backends[1].FailWith(503);
        using var client = gateway.CreateClient();

        using (var first = await client.GetAsync("completion"))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That((await first.JsonAsync()).GetProperty("error").GetString(), Is.EqualTo("fake failure"),
                "the last backend's own answer");
            Assert.That(first.ServedByOf(), Is.Not.Null);
            Assert.That(first.AffinityCookieSet(), Is.Null, "no client is pinned to a failing backend");
        }

        using var second = await client.GetAsync("completion");
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(second.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await second.JsonAsync();
        Assert.That(problem.GetProperty("code").GetString(), Is.EqualTo("no_healthy_backend"));
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(503));
        var retryAfter = int.Parse(second.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(retryAfter, Is.InRange(25, 30), "the earliest reactivation");
        Assert.That(second.ServedByOf(), Is.Null);
        Assert.That(Backends.Sum(b => b.CountRequests()), Is.EqualTo(2));
    }

    [Test]
    public async Task ShouldAnswer502ProblemWhenTheLastBackendCannotBeReached()
    {
        var gateway = await StartAsync(1);
        Backends[0].DropConnections();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("completion");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        var problem = await response.JsonAsync();
        Assert.That(problem.GetProperty("code").GetString(), Is.EqualTo("backend_unreachable"));
        Assert.That(problem.ToString(), Does.Not.Contain("Exception"));
    }

    [Test]
    public async Task ShouldPassA401ThroughWithoutRetryButTakeTheBackendOutOfThePool()
    {
        var gateway = await StartAsync(2);
        Backends[0].FailWith(401);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
        request.Headers.Add("Cookie", "APIM-Backend-Instance=api-1");

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Backends[1].CountRequests(), Is.Zero);
        Assert.That((await gateway.StatusOfAsync("api-1")).Available, Is.False);
        using var next = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "completion") { Headers = { { "Cookie", "APIM-Backend-Instance=api-1" } } });
        Assert.That(next.ServedByOf(), Is.EqualTo("api-2"));
    }

    [Test]
    public async Task ShouldNotEjectABackendThatChallengesTheClientForItsKey()
    {
        var gateway = await StartAsync(2);
        Backends[0].FailWith(401, challenge: "Bearer");
        using var client = gateway.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
            request.Headers.Add("Cookie", "APIM-Backend-Instance=api-1");
            using var response = await client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        }

        var state = await gateway.StatusOfAsync("api-1");
        Assert.That(state.Available, Is.True, "a caller without a key must not be able to empty the pool");
        Assert.That(state.Failures, Is.Zero);
        Assert.That(Backends[1].CountRequests(), Is.Zero);
    }

    [Test]
    public async Task ShouldNeitherRetryNorEjectOnAClientError()
    {
        var gateway = await StartAsync(2);
        Backends[0].FailWith(400);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
        request.Headers.Add("Cookie", "APIM-Backend-Instance=api-1");

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Backends[1].CountRequests(), Is.Zero);
        var state = await gateway.StatusOfAsync("api-1");
        Assert.That(state.Available, Is.True);
        Assert.That(state.Failures, Is.Zero);
    }

    [Test]
    public async Task ShouldLoseNoConcurrentRequestWhileOneBackendFails()
    {
        var gateway = await StartAsync(3);
        Backends[1].DropConnections();
        using var client = gateway.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await client.GetAsync($"completion?query={i}");
            return (response.StatusCode, ServedBy: response.ServedByOf());
        }));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(responses.Select(r => r.ServedBy), Has.None.EqualTo("api-2"));
    }

    [Test]
    public async Task ShouldRetryOnlyUpToMaxAttempts()
    {
        var gateway = await StartAsync(3, new Dictionary<string, string?> { ["Gateway:Failover:MaxAttempts"] = "2" });
        foreach (var backend in Backends)
        {
            backend.FailWith(503);
        }

        using var client = gateway.CreateClient();
        using var response = await client.GetAsync("completion");

        Assert.That(Backends.Sum(b => b.CountRequests()), Is.EqualTo(2), "two tries, not three");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That((await response.JsonAsync()).GetProperty("error").GetString(), Is.EqualTo("fake failure"), "the second backend's own answer");
    }
}
