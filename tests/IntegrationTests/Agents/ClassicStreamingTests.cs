using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>Classic agents streamed (<c>POST /threads/{id}/runs</c> with <c>stream: true</c>) against the simulator: the
/// same answer as polling, markers removed from the deltas, and the thread lifecycle and failures of polled runs.</summary>
public sealed class ClassicStreamingTests : AgentSimulatorHost
{
    private const string Alice = "a11ce00000000000000000000000000000000000000000000000000000000000";

    private static async Task<List<AgentStreamUpdate>> StreamAllAsync(IAgentGateway gateway, AgentQuestion question, string agent = "bing-grounding")
    {
        var updates = new List<AgentStreamUpdate>();
        await foreach (var update in gateway.StreamAsync(agent, question, CancellationToken.None))
        {
            updates.Add(update);
        }

        return updates;
    }

    [Test]
    public async Task Streaming_SendsDeltasWithoutMarkers_ThenTheSameAnswerAsPolling_AndDeletesTheThread()
    {
        var gateway = Gateway();

        var updates = await StreamAllAsync(gateway, new AgentQuestion("What happened in finance today?"));
        var polled = await gateway.AskAsync("bing-grounding", new AgentQuestion("What happened in finance today?"), CancellationToken.None);

        var deltas = updates.OfType<AgentTextDelta>().Select(d => d.Text).ToList();
        var completed = updates[^1] as AgentAnswerCompleted;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deltas, Has.Count.GreaterThan(3), "the answer arrives in pieces");
            Assert.That(deltas, Has.None.Contain("【").And.None.Contain("†"));
            Assert.That(completed, Is.Not.Null);
            Assert.That(string.Concat(deltas).Trim(), Is.EqualTo(completed!.Answer.Content));
            Assert.That(completed.Answer.Content, Is.EqualTo(polled.Content));
            Assert.That(completed.Answer.Citations, Is.EqualTo(polled.Citations));
            Assert.That(completed.Answer.ThreadId, Is.Null);
        }

        AssertEveryThreadDeleted(expectedThreads: 2);
    }

    [Test]
    public async Task Streaming_AKeptThread_IsReturned_AndOwnedByTheAsker()
    {
        var gateway = Gateway();

        var updates = await StreamAllAsync(gateway, new AgentQuestion("Hi", KeepThread: true, Owner: Alice), "plain");

        var answer = ((AgentAnswerCompleted)updates[^1]).Answer;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.ThreadId, Does.StartWith("thread_"));
            Assert.That(Store.FindThread(answer.ThreadId!)!.Deleted, Is.False);
            Assert.That(await gateway.GetThreadOwnerAsync(answer.ThreadId!, CancellationToken.None), Is.EqualTo(Alice));
        }
    }

    [TestCase("[simulate:fail] Hi", UpstreamFailure.Unavailable)]
    [TestCase("[simulate:rate_limit] Hi", UpstreamFailure.Throttled)]
    [TestCase("[simulate:expire] Hi", UpstreamFailure.Timeout)]
    [TestCase("[simulate:empty] Hi", UpstreamFailure.BadResponse)]
    public void Streaming_ARunThatDoesNotComplete_FailsAsWhenPolled_AndTheThreadIsDeleted(string question, UpstreamFailure expected)
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() => StreamAllAsync(Gateway(), new AgentQuestion(question, KeepThread: true, Owner: Alice)));

        Assert.That(ex!.Failure, Is.EqualTo(expected));
        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task Streaming_AFailureBeforeTheFirstUpdate_SurfacesFromTheFirstMoveNext()
    {
        Server.Faults.Add(new FaultSpec { Status = 503, Target = FaultInjector.AgentsTarget });
        var stream = Gateway().StreamAsync("bing-grounding", new AgentQuestion("Hi"), CancellationToken.None);
        Assert.That(Store.GetCounters().ThreadsCreated, Is.Zero, "nothing is sent before the enumeration starts");

        await using var enumerator = stream.GetAsyncEnumerator();
        var ex = Assert.ThrowsAsync<UpstreamException>(async () => await enumerator.MoveNextAsync());

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
    }

    [Test]
    public void Streaming_PastTheDeadline_TimesOut_CancelsTheRun_AndDeletesTheThread()
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            StreamAllAsync(Gateway(o => o.RunDeadlineSeconds = 0.5), new AgentQuestion("[simulate:slow] Hi")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(ex.Message, Does.Contain("0.5 seconds"));
            Assert.That(Store.GetCounters().CancelRequests, Is.EqualTo(1), "the run still going was cancelled");
        }

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task Streaming_StoppedEarlyByTheCaller_CancelsTheRun_AndDeletesTheThread()
    {
        var gateway = Gateway();
        await foreach (var update in gateway.StreamAsync("bing-grounding", new AgentQuestion("What happened today?"), CancellationToken.None))
        {
            Assert.That(update, Is.TypeOf<AgentTextDelta>());
            break;
        }

        AssertEveryThreadDeleted();
    }
}
