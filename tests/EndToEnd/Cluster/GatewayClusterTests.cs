using System.Net;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>
/// The issue's end-to-end proof, with real processes on 127.0.0.1: the simulator, five API instances and the
/// gateway. Requests spread over the instances; a cookie pins a client; an instance made to fail (a simulator fault
/// or a killed process) leaves the pool within one request and its pinned clients move; it rejoins after recovery;
/// and no client request is lost or answered 5xx while at least one instance is healthy. The tests run in order on
/// one cluster, each leaving every instance healthy for the next.
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
public sealed class GatewayClusterTests
{
    private const int Instances = 5;
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(30);
    private LocalCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartClusterAsync() => _cluster = await LocalCluster.StartAsync(Instances);

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

    private static async Task<(HttpStatusCode Status, string? ServedBy, string? Cookie)> AskAsync(HttpClient client, string query = "hello")
    {
        using var response = await client.GetAsync($"completion?query={Uri.EscapeDataString(query)}");
        return (response.StatusCode, response.ServedByOf(), response.AffinityCookieSet());
    }

    /// <summary>One client per instance, pinned by the first answer's cookie (round robin gives each its own).</summary>
    private async Task<List<(HttpClient Client, string Instance)>> PinOneClientPerInstanceAsync()
    {
        var clients = new List<(HttpClient, string)>();
        for (var i = 0; i < Instances; i++)
        {
            var client = _cluster.CreateClient(withCookies: true);
            var (status, servedBy, cookie) = await AskAsync(client);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(cookie, Is.EqualTo(servedBy));
            clients.Add((client, servedBy!));
        }

        Assert.That(clients.Select(c => c.Item2).Distinct().Count(), Is.EqualTo(Instances), "one client pinned to each instance");
        return clients;
    }

    private async Task WaitUntilBackInThePoolAsync(string instance) =>
        await Eventually.UntilAsync(() => _cluster.StatusOfAsync(instance), s => s.Available, RecoveryDeadline, $"{instance} rejoins the pool");

    [Test]
    [Order(1)]
    public async Task RequestsWithoutCookieShouldSpreadOverEveryInstance()
    {
        using var client = _cluster.CreateClient(withCookies: false);
        var servedBy = new List<string?>();
        for (var i = 0; i < 2 * Instances; i++)
        {
            using var response = await client.GetAsync($"completion?query=spread-{i}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(response.Header("X-Instance-Id"), Is.EqualTo(response.ServedByOf()), "the gateway names the instance that answered");
            Assert.That(response.Header("X-APIM-Correlation-Id"), Is.Not.Null.And.Not.Empty);
            servedBy.Add(response.ServedByOf());
        }

        Assert.That(servedBy.Distinct(), Is.EquivalentTo(_cluster.InstanceNames));
    }

    [Test]
    [Order(2)]
    public async Task ACookieShouldPinEachClientToItsInstance()
    {
        var clients = await PinOneClientPerInstanceAsync();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                foreach (var (client, instance) in clients)
                {
                    var (status, servedBy, cookie) = await AskAsync(client, $"round {round}");
                    Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
                    Assert.That(servedBy, Is.EqualTo(instance));
                    Assert.That(cookie, Is.Null, "the pin is unchanged");
                }
            }
        }
        finally
        {
            clients.ForEach(c => c.Client.Dispose());
        }
    }

    [Test]
    [Order(3)]
    public async Task AnInstanceWhoseUpstreamFailsShouldLeaveThePoolWithinOneRequestAndRejoin()
    {
        var clients = await PinOneClientPerInstanceAsync();
        try
        {
            var (victimClient, victim) = clients[0];

            // The next upstream call fails with 503; the pinned client's request is the next one, so its instance
            // answers 503 (no silent retries in the instance) and the gateway must fail it over.
            await _cluster.InjectFaultAsync(new { status = 503, count = 1, target = "openai" });
            var (status, servedBy, cookie) = await AskAsync(victimClient, "during the fault");

            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "the client never sees the instance's failure");
            Assert.That(servedBy, Is.Not.EqualTo(victim));
            Assert.That(cookie, Is.EqualTo(servedBy), "the pinned client moves to the instance that answered");
            Assert.That(await _cluster.PendingFaultsAsync(), Is.Zero, "the victim's upstream call took the fault");
            var state = await _cluster.StatusOfAsync(victim);
            Assert.That(state.Available, Is.False, "out of the pool after one failed request");
            Assert.That(state.LastFailure, Is.EqualTo("status 503"));

            // While it is out, nobody is sent there: its moved client stays on its new instance.
            foreach (var (client, instance) in clients)
            {
                var next = await AskAsync(client, "while it is out");
                Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(next.ServedBy, Is.Not.EqualTo(victim));
                Assert.That(next.ServedBy, Is.EqualTo(instance == victim ? servedBy : instance));
            }

            // Recovery: the reactivation period ends, the upstream is fine again, the instance serves again.
            await WaitUntilBackInThePoolAsync(victim);
            await AssertServesAgainAsync(victim);
        }
        finally
        {
            clients.ForEach(c => c.Client.Dispose());
        }
    }

    [Test]
    [Order(4)]
    public async Task AThrottledInstanceShouldStayOutForItsRetryAfter()
    {
        var clients = await PinOneClientPerInstanceAsync();
        try
        {
            var (victimClient, victim) = clients[1];
            await _cluster.InjectFaultAsync(new { status = 429, count = 1, retryAfterSeconds = 2, target = "openai" });

            var (status, servedBy, _) = await AskAsync(victimClient, "while throttled");

            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(servedBy, Is.Not.EqualTo(victim));
            var state = await _cluster.StatusOfAsync(victim);
            Assert.That(state.Available, Is.False);
            Assert.That(state.LastFailure, Is.EqualTo("status 429"));
            Assert.That(await _cluster.PendingFaultsAsync(), Is.Zero);
            Assert.That((state.UnhealthyUntil!.Value - state.LastFailureAt!.Value).TotalSeconds, Is.EqualTo(2).Within(0.5),
                $"the instance's Retry-After (2 s), not the reactivation period ({LocalCluster.ReactivationPeriod.TotalSeconds} s)");

            await WaitUntilBackInThePoolAsync(victim);
            await AssertServesAgainAsync(victim);
        }
        finally
        {
            clients.ForEach(c => c.Client.Dispose());
        }
    }

    [Test]
    [Order(5)]
    public async Task AKilledInstanceShouldLeaveThePoolWithinOneRequestAndRejoinWhenRestarted()
    {
        var clients = await PinOneClientPerInstanceAsync();
        try
        {
            var (victimClient, victim) = clients[2];
            await _cluster.KillInstanceAsync(victim);

            var (status, servedBy, cookie) = await AskAsync(victimClient, "after the kill");

            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "the request that met the dead instance is answered by another");
            Assert.That(servedBy, Is.Not.EqualTo(victim));
            Assert.That(cookie, Is.EqualTo(servedBy));
            Assert.That((await _cluster.StatusOfAsync(victim)).Available, Is.False);

            foreach (var (client, instance) in clients)
            {
                var next = await AskAsync(client, "while it is dead");
                Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(next.ServedBy, Is.EqualTo(instance == victim ? servedBy : instance));
            }

            // Dead for longer than the reactivation period: the probes keep it out.
            await Eventually.UntilAsync(() => _cluster.StatusOfAsync(victim), s => s.ActiveHealth == "Unhealthy",
                RecoveryDeadline, $"the probes see {victim} down");

            await _cluster.RestartInstanceAsync(victim);
            await Eventually.UntilAsync(() => _cluster.StatusOfAsync(victim), s => s.Available && s.ActiveHealth == "Healthy",
                RecoveryDeadline, $"{victim} rejoins after its restart");
            await AssertServesAgainAsync(victim);
        }
        finally
        {
            clients.ForEach(c => c.Client.Dispose());
        }
    }

    /// <summary>Last: it leaves an instance dead; the cluster is torn down after it.</summary>
    [Test]
    [Order(6)]
    public async Task NoRequestShouldBeLostOrAnswered5xxWhileInstancesFailUnderLoad()
    {
        const int Clients = 8;
        await _cluster.WaitUntilAllHealthyAsync();
        var names = _cluster.InstanceNames;
        var victim = names[3];
        var failedOverBefore = (await _cluster.StatusAsync()).Backends.Sum(b => b.FailedOver);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var served = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var sent = 0;
        using var stop = new CancellationTokenSource();

        async Task ClientLoopAsync(int id)
        {
            using var client = _cluster.CreateClient(withCookies: true);
            for (var i = 0; i < 1000 && !stop.IsCancellationRequested; i++)
            {
                Interlocked.Increment(ref sent);
                try
                {
                    using var response = await client.GetAsync($"completion?query=load-{id}-{i}");
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Add($"{(int)response.StatusCode} from {response.ServedByOf() ?? "the gateway"}: {await response.Content.ReadAsStringAsync()}");
                    }
                    else
                    {
                        served.AddOrUpdate(response.ServedByOf()!, 1, (_, n) => n + 1);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    failures.Add($"lost: {ex.GetType().Name} {ex.Message}");
                }
            }
        }

        var load = Task.WhenAll(Enumerable.Range(0, Clients).Select(ClientLoopAsync));
        try
        {
            // While the load runs: one instance dies, then three upstream calls fail (whichever instances make them;
            // only client requests reach the upstream, so the load itself takes the three faults).
            await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent)), n => n >= Clients * 3, RecoveryDeadline, "load started");
            await _cluster.KillInstanceAsync(victim);
            await _cluster.InjectFaultAsync(new { status = 503, count = 3, target = "openai" });
            await Eventually.UntilAsync(_cluster.PendingFaultsAsync, n => n == 0, RecoveryDeadline, "the load meets the three faults");
            var afterFaults = Volatile.Read(ref sent);
            await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent)), n => n >= afterFaults + Clients * 3, RecoveryDeadline, "load goes on");
        }
        finally
        {
            await stop.CancelAsync();
            await load.WaitAsync(TimeSpan.FromSeconds(60));
        }

        var status = await _cluster.StatusAsync();
        Assert.That(failures, Is.Empty, $"of {sent} requests");
        Assert.That(served.Values.Sum(), Is.EqualTo(sent), "every request answered 200");
        Assert.That(status.Backends.Single(b => b.Name == victim).Available, Is.False, $"{victim} is dead");
        Assert.That(status.Backends.Sum(b => b.FailedOver) - failedOverBefore, Is.GreaterThanOrEqualTo(3),
            "at least the three upstream failures were failed over");
        Assert.That(served.Keys, Is.SupersetOf(names.Where(n => n != victim)), "the load kept spreading over the live instances");
    }

    /// <summary>A client whose cookie names the instance is served by it again.</summary>
    private async Task AssertServesAgainAsync(string instance)
    {
        using var client = _cluster.CreateClient(withCookies: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion?query=back");
        request.Headers.Add("Cookie", $"{Responses.AffinityCookie}={instance}");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.ServedByOf(), Is.EqualTo(instance), $"{instance} serves again");
    }
}
