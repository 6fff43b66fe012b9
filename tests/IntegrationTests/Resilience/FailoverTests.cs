using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Resilience;

/// <summary>Which upstream a request goes to, and where it goes when that one fails: three simulators a, b, c with
/// priorities 1, 2, 3 (unless a test says otherwise) told to fail in turn.</summary>
[TestFixture]
public sealed class FailoverTests() : SimulatorPoolFixture(3)
{
    private static readonly ChatMessage[] Question = [ChatMessage.User("how are you?")];

    private long[] RequestsPerUpstream() => [Pool.Requests(0), Pool.Requests(1), Pool.Requests(2)];

    [Test]
    public async Task AHealthyPoolSendsEveryRequestToTheHighestPriority()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2, 3));

        for (var i = 0; i < 4; i++)
        {
            await adapter.Chat.CompleteAsync(Question, CancellationToken.None);
        }

        Assert.That(RequestsPerUpstream(), Is.EqualTo(new long[] { 4, 0, 0 }));
    }

    [Test]
    public async Task AFailedUpstreamFailsOverToTheNextPriority()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2, 3));
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(Pool.Requests(0, "503"), Is.EqualTo(1));
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1));
            Assert.That(Pool.Requests(2), Is.Zero, "the third priority is not needed");
        });
    }

    [Test]
    public async Task FailoverFollowsThePriorityOrderUntilAnUpstreamAnswers()
    {
        // Listed c, a, b in configuration; the priorities say a, b, c.
        await using var adapter = PoolAdapter.Create(Pool.Settings(2, 3, 1));
        Pool[2].Faults.Add(new FaultSpec { Status = 500, Target = "openai" });
        Pool[0].Faults.Add(new FaultSpec { Drop = true, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);
        await SimulatorRecords.WaitUntilAsync(() => Pool.Requests(0, RequestCounters.Dropped) > 0);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(Pool.Requests(2, "500"), Is.EqualTo(1), "priority 1 first");
            Assert.That(Pool.Requests(0, RequestCounters.Dropped), Is.EqualTo(1), "then priority 2");
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1), "then priority 3 answers");
        });
    }

    [TestCase(429)]
    [TestCase(401)]
    [TestCase(403)]
    [TestCase(404)]
    [TestCase(500)]
    [TestCase(502)]
    [TestCase(504)]
    public async Task UpstreamSpecificFailuresFailOver(int status)
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2, 3));
        Pool[0].Faults.Add(new FaultSpec { Status = status, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(Pool.Requests(0, status.ToString(System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(1));
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task AnInvalidRequestDoesNotFailOver()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2, 3));
        Pool[0].Faults.Add(new FaultSpec { Status = 400, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.BadRequest));
            Assert.That(Pool.Requests(1) + Pool.Requests(2), Is.Zero, "another upstream would refuse it too");
            Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed));
        });
    }

    [Test]
    public async Task ABlockedPromptDoesNotFailOver()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2, 3));

        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            adapter.Chat.CompleteAsync([ChatMessage.User("please trigger-content-filter")], CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.ContentFiltered));
            Assert.That(RequestsPerUpstream(), Is.EqualTo(new long[] { 1, 0, 0 }));
        });
    }

    [Test]
    public async Task WhenEveryUpstreamFailsTheLastFailureIsReported()
    {
        var settings = Pool.Settings(1, 2, 3);
        settings["AzureOpenAI:CircuitBreaker:MinimumThroughput"] = "10";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });
        Pool[1].Faults.Add(new FaultSpec { Status = 500, Target = "openai" });
        Pool[2].Faults.Add(new FaultSpec { Status = 502, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(502), "the last upstream tried");
            Assert.That(RequestsPerUpstream(), Is.EqualTo(new long[] { 1, 1, 1 }), "each upstream once, no silent retries");
        });
    }

    [Test]
    public async Task MaxUpstreamAttemptsBoundsTheFailover()
    {
        var settings = Pool.Settings(1, 2, 3);
        settings["AzureOpenAI:MaxUpstreamAttempts"] = "2";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });
        Pool[1].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(RequestsPerUpstream(), Is.EqualTo(new long[] { 1, 1, 0 }));
        });
    }

    [Test]
    public async Task WithExplicitRetriesAnUpstreamIsRetriedBeforeFailingOver()
    {
        var settings = Pool.Settings(1, 2, 3);
        settings["AzureOpenAI:MaxRetries"] = "1";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Count = 2, Target = "openai" });

        await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(0, "503"), Is.EqualTo(2), "one try and one silent retry");
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WeightsShareTheLoadWithinAPriority()
    {
        var settings = Pool.Settings(1, 1, 2);
        settings["AzureOpenAI:Upstreams:0:Weight"] = "3";
        settings["AzureOpenAI:Upstreams:1:Weight"] = "1";
        await using var adapter = PoolAdapter.Create(settings);

        for (var i = 0; i < 80; i++)
        {
            await adapter.Chat.CompleteAsync(Question, CancellationToken.None);
        }

        // Binomial(80, 0.75): a falling below b, or b getting nothing, has odds below one in a million.
        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(0), Is.GreaterThan(Pool.Requests(1)));
            Assert.That(Pool.Requests(1), Is.GreaterThan(0));
            Assert.That(Pool.Requests(0) + Pool.Requests(1), Is.EqualTo(80));
            Assert.That(Pool.Requests(2), Is.Zero, "the lower priority gets nothing while the first has healthy upstreams");
        });
    }

    [Test]
    public async Task ASlowUpstreamFailsOverAfterTheAttemptTimeout()
    {
        var settings = Pool.Settings(1, 2, 3);
        settings["AzureOpenAI:AttemptTimeoutSeconds"] = "0.5";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { LatencyMs = 30_000, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1));
        });
        // The abandoned try reaches the slow upstream as a dropped request.
        await SimulatorRecords.WaitUntilAsync(() => Pool.Requests(0, RequestCounters.Dropped) == 1);
    }

    [Test]
    public async Task TheRequestDeadlineEndsTheRequestWithATimeoutInsteadOfFailingOver()
    {
        var settings = Pool.Settings(1, 2, 3);
        settings["AzureOpenAI:RequestTimeoutSeconds"] = "0.5";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Faults.Add(new FaultSpec { LatencyMs = 30_000, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(ex.Message, Does.Contain("within 0.5 s"));
            Assert.That(Pool.Requests(1) + Pool.Requests(2), Is.Zero, "no time is left for another upstream");
        });
    }

    [Test]
    public async Task ClientCancellationReachesTheUpstream()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2, 3));
        Pool[0].Faults.Add(new FaultSpec { LatencyMs = 30_000, Target = "openai" });
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        Assert.That(async () => await adapter.Chat.CompleteAsync(Question, caller.Token), Throws.InstanceOf<OperationCanceledException>());

        // The simulator records the request as dropped when its connection is aborted, long before the 30 s latency.
        await SimulatorRecords.WaitUntilAsync(() => Pool.Requests(0, RequestCounters.Dropped) == 1);
        Assert.Multiple(() =>
        {
            Assert.That(Pool.Requests(1) + Pool.Requests(2), Is.Zero, "a cancelled request does not fail over");
            Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed), "the caller's cancellation is not the upstream's failure");
        });
    }
}
