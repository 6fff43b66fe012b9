using System.Net;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Gateway;

/// <summary>A refusal the backend marks <c>X-Wrapper-Refusal: client</c> (the API's own 429 client_rate_limited,
/// its 401 for a missing key, ...) is the client's answer: the backend stays in the pool and no other backend is tried,
/// so one client over its limit can neither empty the pool nor spend the other backends' budgets.</summary>
[TestFixture]
public sealed class ClientRefusalTests : GatewayOverFakeBackends
{
    [TestCase(429, "7")]
    [TestCase(401, null)]
    [TestCase(503, "5")]
    public async Task ShouldPassAClientRefusalThroughWithoutCountingItOrFailingOver(int status, string? retryAfter)
    {
        var gateway = await StartAsync(3);
        using var client = gateway.CreateClient();
        foreach (var backend in Backends)
        {
            backend.FailWith(status, retryAfter, clientRefusal: true);
        }

        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync($"completion?query=burst-{i}");
            Assert.That((int)response.StatusCode, Is.EqualTo(status), "the backend's own answer reaches the client");
            Assert.That(response.Header(WrapperHeaders.Refusal), Is.EqualTo(WrapperHeaders.ClientRefusal));
            if (retryAfter is not null)
            {
                Assert.That(response.Header("Retry-After"), Is.EqualTo(retryAfter));
            }
        }

        var status_ = await gateway.StatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(status_.Available, Is.EqualTo(3), "every backend is still in the pool");
            Assert.That(status_.Backends.Select(b => b.Failures), Is.All.EqualTo(0));
            Assert.That(status_.Backends.Select(b => b.Ejections), Is.All.EqualTo(0));
            Assert.That(status_.Backends.Select(b => b.FailedOver), Is.All.EqualTo(0));
            Assert.That(status_.Backends.Sum(b => b.ClientRefusals), Is.EqualTo(6));
            Assert.That(Backends.Sum(b => b.CountRequests()), Is.EqualTo(6), "one try per request: no failover");
        });
    }

    [Test]
    public async Task ShouldStillFailOverOnTheSameStatusWithoutTheMark()
    {
        var gateway = await StartAsync(2);
        using var client = gateway.CreateClient();
        Backends[0].FailWith(429, "7");

        using var first = await client.GetAsync("completion");
        using var second = await client.GetAsync("completion");

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await gateway.StatusOfAsync("api-1")).Available, Is.False, "an unmarked 429 is the backend's failure");
        });
    }

    [Test]
    public async Task ShouldKeepThePoolWholeAfterAClientsRefusals()
    {
        var gateway = await StartAsync(2);
        using var client = gateway.CreateClient();
        Backends[0].FailWith(429, "60", clientRefusal: true);
        Backends[1].FailWith(429, "60", clientRefusal: true);
        for (var i = 0; i < 4; i++)
        {
            using var refused = await client.GetAsync("completion");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        }

        // The backends now accept another client (in the API, its own bucket): the pool is whole.
        Backends[0].Recover();
        Backends[1].Recover();
        var servedBy = new HashSet<string?>();
        for (var i = 0; i < 4; i++)
        {
            using var other = await client.GetAsync("completion?query=other");
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            servedBy.Add(other.ServedByOf());
        }

        Assert.That(servedBy, Is.EquivalentTo(new[] { "api-1", "api-2" }), "no backend was taken out");
    }
}
