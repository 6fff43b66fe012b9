using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>Every way a question can fail, as the adapter reports it, and the thread deleted each time.</summary>
public sealed class AgentFailureTests : AgentSimulatorHost
{
    private const string PollRoute = "GET /api/projects/{project}/threads/{threadId}/runs/{runId}";

    private static Task<AgentAnswer> Ask(IAgentGateway gateway, string question, CancellationToken cancellationToken = default) =>
        gateway.AskAsync("bing-grounding", new AgentQuestion(question), cancellationToken);

    [TestCase(401, UpstreamFailure.Authentication)]
    [TestCase(403, UpstreamFailure.Authentication)]
    [TestCase(404, UpstreamFailure.NotFound)]
    [TestCase(400, UpstreamFailure.BadRequest)]
    [TestCase(408, UpstreamFailure.Timeout)]
    [TestCase(500, UpstreamFailure.Unavailable)]
    [TestCase(502, UpstreamFailure.Unavailable)]
    [TestCase(503, UpstreamFailure.Unavailable)]
    [TestCase(504, UpstreamFailure.Timeout)]
    public void AnErrorStatus_MapsToItsFailure(int status, UpstreamFailure expected)
    {
        Server.Faults.Add(new FaultSpec { Status = status, Target = FaultInjector.AgentsTarget });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(Gateway(), "Hi"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(expected));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(status));
            Assert.That(ex.Message, Does.Not.Contain("injected fault"), "upstream text never reaches the message");
        }
    }

    [Test]
    public void Throttling_CarriesTheRetryAfter_WithoutWaitingForIt()
    {
        Server.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 30, Target = FaultInjector.AgentsTarget });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(Gateway(o => o.MaxRetries = 3), "Hi"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(Server.Faults.Pending, Is.Empty, "tried once: a 30 s wait is not hidden behind silent retries");
        }
    }

    [Test]
    public async Task AShort503_IsRetried_WithoutDuplicatingTheThread()
    {
        Server.Faults.Add(new FaultSpec { Status = 503, Count = 1, Target = FaultInjector.AgentsTarget });

        var answer = await Ask(Gateway(o => o.MaxRetries = 2), "Hi");

        Assert.That(answer.Citations, Is.Not.Empty);
        AssertEveryThreadDeleted(expectedThreads: 1);
    }

    [Test]
    public void ADroppedConnection_IsUnavailable()
    {
        Server.Faults.Add(new FaultSpec { Drop = true, Target = FaultInjector.AgentsTarget });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(Gateway(), "Hi"));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
    }

    [Test]
    public void AWrongToken_IsAnAuthenticationFailure()
    {
        var gateway = Agents(token: "not-the-token").GetRequiredService<IAgentGateway>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(gateway, "Hi"));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Authentication));
    }

    [Test]
    public void AnotherCertificate_IsNotTrusted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var gateway = Agents(trust: other).GetRequiredService<IAgentGateway>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(gateway, "Hi"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(Store.GetCounters().ThreadsCreated, Is.Zero);
        }
    }

    [Test]
    public void AMissingAgent_IsNotFound_AndTheThreadIsDeleted()
    {
        var gateway = Agents(agentIds: new Dictionary<string, string> { ["bing-grounding"] = "asst_missing" }).GetRequiredService<IAgentGateway>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(gateway, "Hi"));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.NotFound));
        AssertEveryThreadDeleted();
    }

    [TestCase("[simulate:fail]", UpstreamFailure.Unavailable)]
    [TestCase("[simulate:expire]", UpstreamFailure.Timeout)]
    [TestCase("[simulate:empty]", UpstreamFailure.BadResponse)]
    public void ARunThatDoesNotComplete_MapsToItsFailure_AndTheThreadIsDeleted(string question, UpstreamFailure expected)
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(Gateway(), question));

        Assert.That(ex!.Failure, Is.EqualTo(expected));
        AssertEveryThreadDeleted();
    }

    [Test]
    public void ARateLimitedRun_IsThrottled_WithTheWaitItNames()
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(Gateway(), "[simulate:rate_limit] Hi"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(60)));
        }

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task ARunPastTheDeadline_IsCancelled_TimesOut_AndTheThreadIsDeleted()
    {
        // The deadline runs on a fake clock: it passes when the test moves the clock, once the run is being polled,
        // however long a busy machine takes to create the thread and the run (the slow run stays in_progress 2 min).
        var time = new FakeTimeProvider();
        var polls = Server.Counters.Count(PollRoute);
        var asking = Ask(Gateway(o => o.RunDeadlineSeconds = 0.3, time), "[simulate:slow] Hi");
        await UntilPolledAsync(time, polls);
        time.Advance(TimeSpan.FromSeconds(1));

        var ex = Assert.ThrowsAsync<UpstreamException>(() => asking);

        var counters = Store.GetCounters();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(ex.Message, Does.Contain("0.3 seconds"));
            Assert.That(counters.CancelRequests, Is.EqualTo(1), "the run was cancelled");
            Assert.That(counters.RunsCreated, Is.EqualTo(1));
        }

        AssertEveryThreadDeleted();
    }

    [Test]
    public void WhenTheCallerGoesAway_TheRunIsCancelled_AndTheThreadIsDeleted()
    {
        using var caller = new CancellationTokenSource();
        var gateway = Gateway();
        var asking = Ask(gateway, "[simulate:slow] Hi", caller.Token);
        // Cancel once the run exists (the simulator holds a slow run in_progress for two minutes).
        SpinWait.SpinUntil(() => Store.GetCounters().RunsCreated == 1, TimeSpan.FromSeconds(10));
        caller.Cancel();

        Assert.That(async () => await asking, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Store.GetCounters().CancelRequests, Is.EqualTo(1));

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task TheDeadlinePassingWhileTheThreadIsBeingCreated_TimesOut_AndTheThreadIsStillDeleted()
    {
        // The create-thread request is held 300 ms by the simulator; the deadline (fake clock) passes meanwhile. The
        // request must not be abandoned (the service may create the thread anyway, and only its answer names it).
        var time = new FakeTimeProvider();
        Server.Faults.Add(new FaultSpec { LatencyMs = 300, Target = FaultInjector.AgentsTarget });
        var asking = Ask(Gateway(o => o.RunDeadlineSeconds = 0.3, time), "Hi");
        await SimulatorRecords.WaitUntilAsync(() => Server.Faults.Pending.Count == 0); // the request is in flight
        time.Advance(TimeSpan.FromSeconds(1));

        var ex = Assert.ThrowsAsync<UpstreamException>(() => asking);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(Store.GetCounters().RunsCreated, Is.Zero, "nothing is started after the deadline");
        }

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task TheCallerLeavingWhileTheThreadIsBeingCreated_IsACancellation_AndTheThreadIsStillDeleted()
    {
        using var caller = new CancellationTokenSource();
        Server.Faults.Add(new FaultSpec { LatencyMs = 300, Target = FaultInjector.AgentsTarget });
        var asking = Ask(Gateway(), "Hi", caller.Token);
        await SimulatorRecords.WaitUntilAsync(() => Server.Faults.Pending.Count == 0); // the request is in flight
        await caller.CancelAsync();

        Assert.That(async () => await asking, Throws.InstanceOf<OperationCanceledException>());

        Assert.That(Store.GetCounters().RunsCreated, Is.Zero, "nothing is started after the caller left");
        AssertEveryThreadDeleted();
    }

    [Test]
    public void AKeptThread_OfAFailedQuestion_IsStillDeleted_SinceTheCallerNeverLearntItsId()
    {
        var gateway = Gateway();

        Assert.ThrowsAsync<UpstreamException>(() => gateway.AskAsync("bing-grounding", new AgentQuestion("[simulate:fail]", KeepThread: true), CancellationToken.None));

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task AContinuedThread_IsKeptWhenItsQuestionFails()
    {
        var gateway = Gateway();
        var first = await gateway.AskAsync("bing-grounding", new AgentQuestion("Hi", KeepThread: true), CancellationToken.None);

        Assert.ThrowsAsync<UpstreamException>(() => gateway.AskAsync("bing-grounding", new AgentQuestion("[simulate:fail]", first.ThreadId, KeepThread: true), CancellationToken.None));

        Assert.That(Store.FindThread(first.ThreadId!)!.Deleted, Is.False);
    }

    /// <summary>Moves the fake clock a poll interval at a time until the simulator has answered a poll of the run (so
    /// the adapter holds the run's id), waiting up to 30 s of real time.</summary>
    private async Task UntilPolledAsync(FakeTimeProvider time, long pollsBefore)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Server.Counters.Count(PollRoute) == pollsBefore)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the adapter polled the run");
            time.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(20);
        }
    }
}
