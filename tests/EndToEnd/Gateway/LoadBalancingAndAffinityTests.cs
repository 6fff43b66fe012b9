using System.Net;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Gateway;

/// <summary>The gateway in front of fake backends: spreading, the readable affinity cookie, pinning.</summary>
[TestFixture]
public sealed class LoadBalancingAndAffinityTests
{
    private List<FakeBackend> _backends = null!;
    private InProcessGateway _gateway = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _backends = [await FakeBackend.StartAsync("api-1"), await FakeBackend.StartAsync("api-2"), await FakeBackend.StartAsync("api-3")];
        _gateway = await InProcessGateway.StartAsync(_backends);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _gateway.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    [Test]
    public async Task ShouldSpreadRequestsWithoutCookieOverEveryBackend()
    {
        using var client = _gateway.CreateClient();
        var servedBy = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            using var response = await client.GetAsync($"completion?query=q{i}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            servedBy.Add(response.ServedByOf()!);
        }

        // Round robin: three each.
        Assert.That(servedBy.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count()),
            Is.EquivalentTo(new Dictionary<string, int> { ["api-1"] = 3, ["api-2"] = 3, ["api-3"] = 3 }));
        Assert.That(_backends.Select(b => b.CountRequests()), Is.All.EqualTo(3));
    }

    [Test]
    public async Task ShouldNameTheBackendThatAnsweredAndPassItsHeadersAndBodyThrough()
    {
        using var client = _gateway.CreateClient();
        using var response = await client.GetAsync("completion?query=hello");

        var servedBy = response.ServedByOf();
        Assert.That(servedBy, Is.AnyOf("api-1", "api-2", "api-3"));
        Assert.That(response.Header("X-Instance-Id"), Is.EqualTo(servedBy));
        var body = await response.JsonAsync();
        Assert.That(body.GetProperty("backend").GetString(), Is.EqualTo(servedBy));
        Assert.That(body.GetProperty("path").GetString(), Is.EqualTo("/completion"));
        Assert.That(_backends.Single(b => b.Name == servedBy).Requests.Single().PathAndQuery, Is.EqualTo("/completion?query=hello"));
    }

    [Test]
    public async Task ShouldPinAClientWithAReadableCookieNamingTheBackend()
    {
        using var client = _gateway.CreateClient(new CookieContainer());
        using var first = await client.GetAsync("completion");
        var pinned = first.AffinityCookieSet();
        Assert.That(pinned, Is.EqualTo(first.ServedByOf()), "the cookie holds the backend's name in clear text");
        Assert.That(first.Headers.GetValues("Set-Cookie").Single(), Does.Contain("httponly").IgnoreCase.And.Contain("path=/"));

        for (var i = 0; i < 6; i++)
        {
            using var next = await client.GetAsync("completion");
            Assert.That(next.ServedByOf(), Is.EqualTo(pinned));
            Assert.That(next.AffinityCookieSet(), Is.Null, "an unchanged pin is not re-sent");
        }

        Assert.That(_backends.Single(b => b.Name == pinned).CountRequests(), Is.EqualTo(7));
        var status = await _gateway.StatusOfAsync(pinned!);
        Assert.That(status.AffinityAssigned, Is.EqualTo(1));
        Assert.That(status.AffinityKept, Is.EqualTo(6));
    }

    [Test]
    public async Task ShouldHonourACookieSetByHandLikeApim()
    {
        using var client = _gateway.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
            request.Headers.Add("Cookie", "APIM-Backend-Instance=api-2");
            using var response = await client.SendAsync(request);
            Assert.That(response.ServedByOf(), Is.EqualTo("api-2"));
        }

        Assert.That(_backends[1].CountRequests(), Is.EqualTo(4));
    }

    [Test]
    public async Task ShouldRepinAClientWhoseCookieNamesNoKnownBackend()
    {
        using var client = _gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
        request.Headers.Add("Cookie", "APIM-Backend-Instance=api-9");
        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.AffinityCookieSet(), Is.EqualTo(response.ServedByOf()));
    }

    [Test]
    public async Task ShouldAnswerItsStatusItselfWithoutProxyingIt()
    {
        var status = await _gateway.StatusAsync();

        Assert.That(status.Backends.Select(b => b.Name), Is.EqualTo(new[] { "api-1", "api-2", "api-3" }));
        Assert.That(status.Available, Is.EqualTo(3));
        Assert.That(status.AffinityCookie, Is.EqualTo("APIM-Backend-Instance"));
        Assert.That(status.Backends.Select(b => b.Address), Is.EqualTo(_backends.Select(b => b.Address.ToString())));
        Assert.That(_backends.Sum(b => b.CountRequests()), Is.Zero);
    }
}
