using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Health;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Resilience;

/// <summary>The token-free health probe over an <c>AzureOpenAI:Upstreams</c> pool (no OPENAI_ENDPOINT): each upstream
/// whose circuit is not open is asked for its deployment through its own client, one answer is enough, and when none
/// answers the most preferred upstream's failure is reported.</summary>
/// <remarks>Each test has its own simulators: a probe that returns on the first answer abandons the others, and the
/// simulator records an abandoned request when its side ends, which can be after the next test has begun (and whether
/// it was sent at all is not known), so shared simulators would let one test's probes be counted in the next.</remarks>
[TestFixture]
public sealed class PoolHealthProbeTests
{
    private const string DeploymentRoute = "GET /openai/models";

    private SimulatorPool _pool = null!;

    [SetUp]
    public async Task StartSimulators()
    {
        _pool = await SimulatorPool.StartAsync(2);
        _pool.Reset(); // forget the warm-up request
    }

    [TearDown]
    public async Task StopSimulators() => await _pool.DisposeAsync();

    private long Probes(int index, string? outcome = null) => _pool[index].Counters.Count(DeploymentRoute, outcome);

    /// <summary>True when the probe passed (it throws otherwise).</summary>
    private static async Task<bool> Probe(PoolAdapter adapter)
    {
        await adapter.Get<AzureOpenAIDeploymentProbe>().ProbeAsync(CancellationToken.None);
        return true;
    }

    [Test]
    public async Task APoolWithoutOpenAIEndpointIsHealthyAndSpendsAtMostOneDeploymentCheckPerUpstream()
    {
        await using var adapter = PoolAdapter.Create(_pool.Settings(1, 2));

        await adapter.Get<IUpstreamHealthProbe>().ProbeAsync(CancellationToken.None);
        var mode = true; // it returned: the pool is healthy

        Assert.Multiple(() =>
        {
            Assert.That(mode, Is.True);
            Assert.That(Probes(0, "200") + Probes(1, "200"), Is.GreaterThanOrEqualTo(1));
            // The token-free GET /openai/models proves endpoint and key; only the deployment check (max_tokens 1, once per
            // interval per upstream) costs tokens.
            Assert.That(_pool.Requests(0), Is.LessThanOrEqualTo(1));
            Assert.That(_pool.Requests(1), Is.LessThanOrEqualTo(1));
        });
    }

    [Test]
    public async Task OneAnsweringUpstreamIsEnough()
    {
        await using var adapter = PoolAdapter.Create(_pool.Settings(1, 2));
        _pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var mode = await Probe(adapter);
        await SimulatorRecords.WaitUntilAsync(() => Probes(1, "200") == 1);

        Assert.Multiple(() =>
        {
            Assert.That(mode, Is.True);
            Assert.That(Probes(1, "200"), Is.EqualTo(1), "the second upstream answered");
        });
    }

    [Test]
    public async Task EachUpstreamIsProbedWithItsOwnCredential()
    {
        var settings = _pool.Settings(1, 2);
        settings["AzureOpenAI:Upstreams:0:ApiKey"] = "not-the-key";
        await using var adapter = PoolAdapter.Create(settings);
        // The probe stops at the first answer and cancels the rest: the second upstream answers late, so the first's
        // 401 has come (and been recorded) before the probe can stop.
        _pool[1].Faults.Add(new FaultSpec { LatencyMs = 1_000, Target = "openai" });

        var mode = await Probe(adapter);
        await SimulatorRecords.WaitUntilAsync(() => Probes(1, "200") == 1); // recorded once its answer is sent

        Assert.Multiple(() =>
        {
            Assert.That(mode, Is.True);
            Assert.That(Probes(0, "401"), Is.EqualTo(1), "the first upstream's wrong key was sent to the first upstream");
            Assert.That(Probes(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WhenEveryUpstreamFailsTheMostPreferredOnesFailureIsReported()
    {
        var settings = _pool.Settings(2, 1); // b is preferred
        settings["AzureOpenAI:Upstreams:1:Deployment"] = "missing";
        await using var adapter = PoolAdapter.Create(settings);
        _pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Probe(adapter))!;
        await SimulatorRecords.WaitUntilAsync(() => Probes(0, "503") == 1);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.NotFound), "b (priority 1) has no such deployment");
            Assert.That(ex.Message, Does.Contain("missing"));
            Assert.That(Probes(0, "503"), Is.EqualTo(1), "a was probed too");
        });
    }

    [Test]
    public async Task AnUpstreamWhoseCircuitIsOpenIsNotProbed()
    {
        await using var adapter = PoolAdapter.Create(_pool.Settings(1, 2));
        _pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai", Count = 1 });
        await adapter.Chat.CompleteAsync([ChatMessage.User("hello")], CancellationToken.None); // a throttles: its circuit opens
        Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Open));

        var mode = await Probe(adapter);
        await SimulatorRecords.WaitUntilAsync(() => Probes(1, "200") == 1);

        Assert.Multiple(() =>
        {
            Assert.That(mode, Is.True);
            Assert.That(Probes(0), Is.Zero, "nothing is sent to an open circuit");
            Assert.That(Probes(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WhenEveryCircuitIsOpenNothingIsSentAndTheCoolDownIsReported()
    {
        await using var adapter = PoolAdapter.Create(_pool.Settings(1, 2));
        foreach (var sim in _pool.Simulators)
        {
            sim.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai", Count = 1 });
        }

        Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync([ChatMessage.User("hello")], CancellationToken.None));

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Probe(adapter))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(20)));
            Assert.That(Probes(0) + Probes(1), Is.Zero);
        });
    }
}
