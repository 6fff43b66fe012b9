using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Resilience;

/// <summary>Each upstream's circuit breaker: open, half-open and closed again, seen through the simulators' counters and
/// <see cref="IUpstreamPoolState"/>; time moves only when a test advances the fake clock.</summary>
[TestFixture]
public sealed class CircuitBreakerTests() : SimulatorPoolFixture(2)
{
    private static readonly ChatMessage[] Question = [ChatMessage.User("how are you?")];

    private static Task Ask(PoolAdapter adapter) => adapter.Chat.CompleteAsync(Question, CancellationToken.None);

    [Test]
    public async Task A429OpensTheCircuitForTheUpstreamsRetryAfterThenATrialClosesIt()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai" });
        var start = adapter.Time.GetUtcNow();

        await Ask(adapter);
        var opened = adapter.Upstream("a");
        await Ask(adapter);
        await Ask(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(opened.Circuit, Is.EqualTo(UpstreamCircuitState.Open));
            Assert.That(opened.OpenedBecause, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(opened.OpenUntil, Is.EqualTo(start.AddSeconds(20)), "the upstream's retry-after");
            Assert.That(Pool.Requests(0), Is.EqualTo(1), "nothing is sent to an open circuit");
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(3));
        });

        adapter.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.HalfOpen));

        await Ask(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(0, "200"), Is.EqualTo(1), "the trial request went to the preferred upstream");
            Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed));
            Assert.That(adapter.Upstream("a").OpenUntil, Is.Null);
        });

        await Ask(adapter);
        Assert.That(Pool.Requests(0, "200"), Is.EqualTo(2), "closed: traffic is back");
    }

    [Test]
    public async Task A429WithoutRetryAfterOpensTheCircuitForTheConfiguredBreak()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 429, Target = "openai" });
        var start = adapter.Time.GetUtcNow();

        await Ask(adapter);

        Assert.That(adapter.Upstream("a").OpenUntil, Is.EqualTo(start.AddSeconds(30)));
    }

    [Test]
    public async Task AFailedTrialOpensTheCircuitAgain()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 10, Target = "openai" });
        await Ask(adapter);
        adapter.Time.Advance(TimeSpan.FromSeconds(10));
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        await Ask(adapter);

        var a = adapter.Upstream("a");
        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(0, "503"), Is.EqualTo(1), "the trial was sent and failed");
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(2), "and the request failed over");
            Assert.That(a.Circuit, Is.EqualTo(UpstreamCircuitState.Open));
            Assert.That(a.OpenedBecause, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(a.OpenUntil, Is.EqualTo(adapter.Time.GetUtcNow().AddSeconds(30)));
        });
    }

    [Test]
    public async Task ServerErrorsOpenTheCircuitOnlyBeyondTheThreshold()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Count = 2, Target = "openai" });

        await Ask(adapter);
        Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed), "one failure is below the threshold of 2");

        await Ask(adapter);
        await Ask(adapter);

        var a = adapter.Upstream("a");
        Assert.Multiple(() =>
        {
            Assert.That(a.Circuit, Is.EqualTo(UpstreamCircuitState.Open));
            Assert.That(a.OpenedBecause, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(Pool.Requests(0), Is.EqualTo(2), "the third request skipped the open circuit");
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(3));
        });

        // Polly's half-open: after the break, one trial; its success closes the circuit.
        adapter.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.HalfOpen));
        await Ask(adapter);
        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(0, "200"), Is.EqualTo(1));
            Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed));
        });
    }

    [Test]
    public async Task A503RetryAfterSetsTheBreakWhenTheThresholdOpensTheCircuit()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Count = 2, RetryAfterSeconds = 7, Target = "openai" });

        await Ask(adapter);
        await Ask(adapter);

        Assert.That(adapter.Upstream("a").OpenUntil, Is.EqualTo(adapter.Time.GetUtcNow().AddSeconds(7)));
    }

    [Test]
    public async Task AWrongKeyIsolatesTheUpstreamForTheMisconfigurationBreak()
    {
        var settings = Pool.Settings(1, 2);
        settings["AzureOpenAI:Upstreams:0:ApiKey"] = "wrong-key";
        await using var adapter = PoolAdapter.Create(settings);
        var start = adapter.Time.GetUtcNow();

        await Ask(adapter);
        await Ask(adapter);

        var a = adapter.Upstream("a");
        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(0, "401"), Is.EqualTo(1));
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(2));
            Assert.That(a.Circuit, Is.EqualTo(UpstreamCircuitState.Open));
            Assert.That(a.OpenedBecause, Is.EqualTo(UpstreamFailure.Authentication));
            Assert.That(a.OpenUntil, Is.EqualTo(start.AddSeconds(300)));
        });
    }

    [Test]
    public async Task EveryUpstreamThrottledAnswersThrottledWithTheEarliestRecovery()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai" });
        Pool[1].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 8, Target = "openai" });

        var first = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;
        adapter.Time.Advance(TimeSpan.FromSeconds(3));
        var second = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;

        Assert.Multiple(() =>
        {
            Assert.That(first.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(first.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(8)), "b recovers first");
            Assert.That(second.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(second.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(5)), "counted from now");
            Assert.That(second.Message, Does.Contain("retry after 5 s"));
            Assert.That(Pool.Requests(0) + Pool.Requests(1), Is.EqualTo(2), "the second request reached no upstream");
        });

        adapter.Time.Advance(TimeSpan.FromSeconds(5));
        await Ask(adapter);
        Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1), "b's trial answers once its retry-after has passed");
    }

    [Test]
    public async Task MixedCoolingDownAnswersUnavailableWithTheEarliestRecovery()
    {
        var settings = Pool.Settings(1, 2);
        settings["AzureOpenAI:Upstreams:1:ApiKey"] = "wrong-key";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 40, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;
        var again = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(40)), "a's retry-after is earlier than b's 300 s");
            Assert.That(again.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(again.Message, Does.Not.Contain(SimulatorPool.Key).And.Not.Contain("wrong-key").And.Not.Contain("127.0.0.1"));
        });
    }

    [Test]
    public async Task WithASingleUpstreamTheBreakerIsOffByDefault()
    {
        var settings = Pool.Settings(1, 2);
        foreach (var key in settings.Keys.Where(k => k.StartsWith("AzureOpenAI:Upstreams:1:", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }

        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Count = 2, Target = "openai" });

        var first = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;
        var second = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;

        Assert.Multiple(() =>
        {
            Assert.That(first.UpstreamStatus, Is.EqualTo(429));
            Assert.That(second.UpstreamStatus, Is.EqualTo(429), "the upstream's own answer, not a blanket cool-down");
            Assert.That(Pool.Requests(0, "429"), Is.EqualTo(2));
            Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed));
        });
    }

    [Test]
    public async Task ABreakerSwitchedOnForASingleUpstreamAnswersFromItsCoolDown()
    {
        var settings = Pool.Settings(1, 2);
        foreach (var key in settings.Keys.Where(k => k.StartsWith("AzureOpenAI:Upstreams:1:", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }

        settings["AzureOpenAI:CircuitBreaker:Enabled"] = "true";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai" });

        Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter));
        adapter.Time.Advance(TimeSpan.FromSeconds(12));
        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(adapter))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(8)));
            Assert.That(Pool.Requests(0), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task PoolStateListsTheUpstreamsMostPreferredFirst()
    {
        var settings = Pool.Settings(2, 1);
        settings["AzureOpenAI:Upstreams:0:Weight"] = "5";
        await using var adapter = PoolAdapter.Create(settings);

        var upstreams = adapter.State.Upstreams;

        Assert.Multiple(() =>
        {
            Assert.That(upstreams.Select(u => u.Name), Is.EqualTo(new[] { "b", "a" }));
            Assert.That(upstreams[1].Priority, Is.EqualTo(2));
            Assert.That(upstreams[1].Weight, Is.EqualTo(5));
            Assert.That(upstreams[1].Deployment, Is.EqualTo(SimulatorPool.Deployment));
            Assert.That(upstreams.All(u => u.Circuit == UpstreamCircuitState.Closed && u.OpenUntil is null && u.OpenedBecause is null));
        });
    }
}
