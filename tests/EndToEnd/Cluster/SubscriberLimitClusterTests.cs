using System.Net;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>
/// Issue 12 items 1 and 2 with real processes on 127.0.0.1: the simulator, two API instances that know the gateway's
/// backend key as a gateway's (<c>API_KEYS=gateway[gateway]:…</c>) with a limit of 3 requests per client per instance,
/// and the gateway admitting two subscribers by subscription key. One subscriber bursting past its limit gets the
/// instances' own 429 (marked <c>X-Wrapper-Refusal: client</c>), leaves every instance in the pool, and does not touch
/// the other subscriber's buckets, although both arrive at the instances with the same backend key.
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
public sealed class SubscriberLimitClusterTests
{
    private const int Instances = 2;
    private const int PermitLimit = 3;
    private const string BackendKey = "e2e-gateway-backend-key-0123456789abcdef";
    private const string AliceKey = "e2e-alice-subscription-key-01";
    private const string BobKey = "e2e-bob-subscription-key-0002";
    private LocalCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartClusterAsync() => _cluster = await LocalCluster.StartAsync(
        Instances,
        new Dictionary<string, string>
        {
            ["API_KEYS"] = "gateway[gateway]:" + BackendKey,
            ["RateLimiting__PermitLimit"] = PermitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiting__WindowSeconds"] = "3600",
        },
        new Dictionary<string, string>
        {
            ["Gateway__Subscribers__0__Id"] = "sub-alice",
            ["Gateway__Subscribers__0__Key"] = AliceKey,
            ["Gateway__Subscribers__1__Id"] = "sub-bob",
            ["Gateway__Subscribers__1__Key"] = BobKey,
            ["Gateway__BackendApiKey"] = BackendKey,
        });

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [TearDown]
    public void ReportOnFailure()
    {
        if (_cluster is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(_cluster.Diagnostics());
        }
    }

    private async Task<HttpResponseMessage> AskAsync(string key, string query)
    {
        using var client = _cluster.CreateClient(withCookies: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"completion?query={Uri.EscapeDataString(query)}");
        request.Headers.Add("Ocp-Apim-Subscription-Key", key);
        return await client.SendAsync(request);
    }

    [Test]
    [Order(1)]
    public async Task OneSubscriberBurstingPastItsLimitShouldLeaveEveryInstanceHealthyAndTheOtherSubscriberUnaffected()
    {
        var burst = new List<(HttpStatusCode Status, string? Refusal, string? RetryAfter, string? ServedBy)>();
        for (var i = 0; i < 4 * PermitLimit * Instances; i++)
        {
            using var response = await AskAsync(AliceKey, $"alice-{i}");
            burst.Add((response.StatusCode, response.Header(WrapperHeaders.Refusal), response.Header("Retry-After"), response.ServedByOf()));
        }

        var refused = burst.Where(b => b.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(burst.Count(b => b.Status == HttpStatusCode.OK), Is.EqualTo(PermitLimit * Instances), "alice's budget on each instance, and no more");
            Assert.That(refused, Has.Count.EqualTo(burst.Count - PermitLimit * Instances), "every other request is the instances' own 429");
            Assert.That(refused.Select(r => r.Refusal), Is.All.EqualTo(WrapperHeaders.ClientRefusal));
            Assert.That(refused.Select(r => r.RetryAfter), Is.All.Not.Null);
            Assert.That(burst.Select(b => b.ServedBy).Distinct().Count(), Is.EqualTo(Instances), "the burst was spread over every instance");
        });

        var status = await _cluster.StatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(status.Available, Is.EqualTo(Instances), "every instance is still in the pool");
            Assert.That(status.Backends.Select(b => b.PassiveHealth), Is.All.Not.EqualTo("Unhealthy"));
            Assert.That(status.Backends.Select(b => b.Failures), Is.All.EqualTo(0));
            Assert.That(status.Backends.Select(b => b.Ejections), Is.All.EqualTo(0));
            Assert.That(status.Backends.Select(b => b.FailedOver), Is.All.EqualTo(0), "a refused request was not sent to another instance");
            Assert.That(status.Backends.Sum(b => b.ClientRefusals), Is.EqualTo(refused.Count));
        });

        // Bob arrives at the instances with the same backend key, but in his own buckets.
        for (var i = 0; i < PermitLimit * Instances; i++)
        {
            using var response = await AskAsync(BobKey, $"bob-{i}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }

        using var aliceAgain = await AskAsync(AliceKey, "alice-again");
        Assert.That(aliceAgain.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "alice's buckets are still spent");
    }

    [Test]
    [Order(2)]
    public async Task ACallerWithoutASubscriptionKeyShouldBeRefusedByTheGateway()
    {
        using var client = _cluster.CreateClient(withCookies: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion?query=hi");
        request.Headers.Add("api-key", BackendKey.Replace("gateway", "guess", StringComparison.Ordinal));

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await _cluster.StatusAsync()).Available, Is.EqualTo(Instances));
    }
}
