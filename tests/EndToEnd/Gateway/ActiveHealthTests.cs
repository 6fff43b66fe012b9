using System.Net;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Gateway;

/// <summary>Active probes: a backend whose readiness probe fails leaves the pool, and rejoins when it passes.</summary>
[TestFixture]
public sealed class ActiveHealthTests : GatewayOverFakeBackends
{
    private Task<InProcessGateway> StartAsync(string? path = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:ActiveHealth:Enabled"] = "true",
            ["Gateway:ActiveHealth:Interval"] = "00:00:00.100",
            // The fake backends fail probes by status, never by hanging: a generous probe timeout keeps a busy
            // machine from taking a healthy backend out of the pool.
            ["Gateway:ActiveHealth:Timeout"] = "00:00:30",
        };
        if (path is not null)
        {
            settings["Gateway:ActiveHealth:Path"] = path;
        }

        return StartAsync(2, settings);
    }

    [Test]
    public async Task ShouldProbeHealthReadyByDefault()
    {
        var gateway = await StartAsync();

        await Eventually.UntilAsync(gateway.StatusAsync, s => s.Backends.All(b => b.ActiveHealth == "Healthy"),
            TimeSpan.FromSeconds(10), "both backends probed healthy");
        Assert.That(Backends.SelectMany(b => b.ProbePaths).Distinct(), Is.EqualTo(new[] { "/health/ready" }));
    }

    [Test]
    public async Task ShouldProbeTheConfiguredPath()
    {
        var gateway = await StartAsync("/health/live");

        await Eventually.UntilAsync(gateway.StatusAsync, s => s.Backends.All(b => b.ActiveHealth == "Healthy"),
            TimeSpan.FromSeconds(10), "both backends probed healthy");
        Assert.That(Backends.SelectMany(b => b.ProbePaths).Distinct(), Is.EqualTo(new[] { "/health/live" }));
    }

    [Test]
    public async Task ShouldTakeABackendThatIsNotReadyOutOfThePoolAndBringItBack()
    {
        var gateway = await StartAsync();
        await Eventually.UntilAsync(gateway.StatusAsync, s => s.Available == 2 && s.Backends.All(b => b.ActiveHealth == "Healthy"),
            TimeSpan.FromSeconds(10), "both backends probed healthy");

        Backends[0].ReadyStatus = 503;
        await Eventually.UntilAsync(() => gateway.StatusOfAsync("api-1"), s => !s.Available && s.ActiveHealth == "Unhealthy",
            TimeSpan.FromSeconds(10), "api-1 leaves the pool");

        using var client = gateway.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("completion");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.ServedByOf(), Is.EqualTo("api-2"));
        }

        Assert.That(Backends[0].CountRequests(), Is.Zero);

        Backends[0].ReadyStatus = 200;
        await Eventually.UntilAsync(() => gateway.StatusOfAsync("api-1"), s => s.Available && s.ActiveHealth == "Healthy",
            TimeSpan.FromSeconds(10), "api-1 rejoins");
        var servedBy = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("completion");
            servedBy.Add(response.ServedByOf()!);
        }

        Assert.That(servedBy, Is.EquivalentTo(new[] { "api-1", "api-2" }));
    }
}
