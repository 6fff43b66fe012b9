using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;
using Wrapper.Infrastructure.Agents;
using Wrapper.Simulator.Agents;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>The owner tag over the wire, against the simulator: written into a new thread's metadata by <c>POST /threads</c>
/// and read back with <c>GET /threads/{id}</c>; an unknown or deleted thread has no owner.</summary>
public sealed class ThreadOwnerTests : AgentSimulatorHost
{
    private static readonly string Alice = ThreadOwnership.OwnerOf("alice");

    private IReadOnlyDictionary<string, string> MetadataOf(string threadId) => Store.GetThread(threadId).Metadata;

    [Test]
    public async Task ANewKeptThread_RecordsItsOwnerInItsMetadata_AndTheGatewayReadsItBack()
    {
        var gateway = Gateway();

        var answer = await gateway.AskAsync("bing-grounding", new AgentQuestion("Hi", KeepThread: true, Owner: Alice), CancellationToken.None);

        var threadId = answer.ThreadId!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(MetadataOf(threadId), Is.EquivalentTo(new Dictionary<string, string> { [AgentThreadRunner.OwnerMetadataKey] = Alice }));
            Assert.That(AgentThreadRunner.OwnerMetadataKey, Is.EqualTo("wrapper_owner"));
            Assert.That(await gateway.GetThreadOwnerAsync(threadId, CancellationToken.None), Is.EqualTo(Alice));
        }
    }

    [Test]
    public async Task TheOwner_IsKeptWhenTheThreadIsContinued()
    {
        var gateway = Gateway();
        var first = await gateway.AskAsync("plain", new AgentQuestion("Hi", KeepThread: true, Owner: Alice), CancellationToken.None);

        await gateway.AskAsync("bing-grounding", new AgentQuestion("And then?", first.ThreadId, KeepThread: true, Owner: Alice), CancellationToken.None);

        Assert.That(await gateway.GetThreadOwnerAsync(first.ThreadId!, CancellationToken.None), Is.EqualTo(Alice));
    }

    [Test]
    public async Task AThrowawayThread_AlsoCarriesItsOwner_WhileItLives()
    {
        var question = new AgentQuestion("[simulate:slow] Hi", Owner: Alice);
        using var cts = new CancellationTokenSource();
        var asking = Gateway().AskAsync("bing-grounding", question, cts.Token);
        ThreadObject? thread = null;
        for (var i = 0; i < 500 && thread is null; i++)
        {
            await Task.Delay(10);
            thread = Store.ListThreads(new PageRequest()).Data.FirstOrDefault();
        }

        Assert.That(thread, Is.Not.Null, "the thread was created");
        var metadata = thread!.Metadata;
        await cts.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => asking);
        Assert.That(metadata[AgentThreadRunner.OwnerMetadataKey], Is.EqualTo(Alice));
    }

    [Test]
    public async Task AQuestionWithoutAnOwner_WritesNoMetadata()
    {
        var gateway = Gateway();

        var answer = await gateway.AskAsync("bing-grounding", new AgentQuestion("Hi", KeepThread: true), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(MetadataOf(answer.ThreadId!), Is.Empty);
            Assert.That(await gateway.GetThreadOwnerAsync(answer.ThreadId!, CancellationToken.None), Is.Null);
        }
    }

    [Test]
    public async Task AThreadThatDoesNotExist_HasNoOwner()
    {
        Assert.That(await Gateway().GetThreadOwnerAsync("thread_doesnotexist", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task ADeletedThread_HasNoOwner()
    {
        var gateway = Gateway();
        var first = await gateway.AskAsync("bing-grounding", new AgentQuestion("Hi", KeepThread: true, Owner: Alice), CancellationToken.None);

        await gateway.AskAsync("bing-grounding", new AgentQuestion("Bye", first.ThreadId, KeepThread: false, Owner: Alice), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Store.FindThread(first.ThreadId!)!.Deleted, Is.True);
            Assert.That(await gateway.GetThreadOwnerAsync(first.ThreadId!, CancellationToken.None), Is.Null);
        }
    }

    [Test]
    public void AFailingLookup_IsAnUpstreamFailure_NotAMissingThread()
    {
        Server.Faults.Add(new Wrapper.Simulator.FaultSpec { Status = 503, Target = Wrapper.Simulator.FaultInjector.AgentsTarget });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Gateway().GetThreadOwnerAsync("thread_any", CancellationToken.None));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
    }
}
