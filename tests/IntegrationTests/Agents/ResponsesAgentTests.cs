using Microsoft.Extensions.DependencyInjection;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;
using Wrapper.Infrastructure.Agents;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>The new-protocol adapter (conversations and responses) over https against the simulator: the same answers,
/// conversation lifecycle and failures as the classic threads, and both protocols side by side.</summary>
public sealed class ResponsesAgentTests : AgentSimulatorHost
{
    private const string Alice = "a11ce00000000000000000000000000000000000000000000000000000000000";
    private const string Bob = "b0b0000000000000000000000000000000000000000000000000000000000000";

    private static Task<AgentAnswer> Ask(IAgentGateway gateway, string question, CancellationToken cancellationToken = default) =>
        gateway.AskAsync("bing-grounding", new AgentQuestion(question), cancellationToken);

    private static async Task<List<AgentStreamUpdate>> StreamAllAsync(IAgentGateway gateway, string agent, AgentQuestion question)
    {
        var updates = new List<AgentStreamUpdate>();
        await foreach (var update in gateway.StreamAsync(agent, question, CancellationToken.None))
        {
            updates.Add(update);
        }

        return updates;
    }

    [Test]
    public async Task BingGrounding_AnswersTheSameShapeAsClassic_WithoutMarkers_AndKeepsNothing()
    {
        var answer = await Ask(NewGateway(), "What happened in finance today?");
        var classic = await Ask(Gateway(), "What happened in finance today?");

        var counters = Foundry.GetCounters();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Does.Contain("finance today"));
            Assert.That(answer.Content, Does.Not.Contain("【").And.Not.Contain("†").And.Not.Contain("  "));
            // The simulator cites three sources with four markers (one source twice), on either protocol.
            Assert.That(answer.Citations.Select(c => c.Id), Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.That(answer.Citations.Select(c => (c.Type, c.Url, c.Title)), Is.EqualTo(classic.Citations.Select(c => (c.Type, c.Url, c.Title))));
            Assert.That(answer.Citations[0].Url, Does.StartWith("https://www.bing.com/search?q="));
            Assert.That(answer.ThreadId, Is.Null);
            Assert.That(answer.ConversationId, Is.Null);
            Assert.That(counters.ResponsesCreated, Is.EqualTo(1));
            Assert.That(counters.ConversationsCreated, Is.Zero, "a question that keeps nothing makes no conversation");
        }
    }

    [Test]
    public async Task Plain_AnswersWithoutCitations()
    {
        var answer = await NewGateway().AskAsync("plain", new AgentQuestion("Tell me a fact about 🐙 octopuses"), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Does.Contain("🐙 octopuses"));
            Assert.That(answer.Citations, Is.Empty);
        }
    }

    [Test]
    public async Task Keep_MakesAConversationOwnedByTheAsker_WhichTheNextQuestionContinues_AndKeepFalseEnds()
    {
        var gateway = NewGateway();

        var first = await gateway.AskAsync("bing-grounding", new AgentQuestion("First question", KeepThread: true, Owner: Alice), CancellationToken.None);
        Assert.That(first.ConversationId, Does.StartWith("conv_"));
        var conversation = Foundry.FindConversation(first.ConversationId!)!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.ThreadId, Is.Null);
            Assert.That(conversation.Deleted, Is.False);
            Assert.That(conversation.Metadata, Is.EquivalentTo(new Dictionary<string, string> { [AgentResponsesRunner.OwnerMetadataKey] = Alice }));
            Assert.That(await gateway.GetConversationOwnerAsync(first.ConversationId!, CancellationToken.None), Is.EqualTo(Alice));
        }

        var second = await gateway.AskAsync("bing-grounding",
            new AgentQuestion("Second question", KeepThread: true, Owner: Alice, ConversationId: first.ConversationId), CancellationToken.None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.ConversationId, Is.EqualTo(first.ConversationId));
            Assert.That(second.Content, Does.Contain("Second question"));
            Assert.That(Foundry.FindConversation(first.ConversationId!)!.ItemCount, Is.EqualTo(4), "two questions and two answers in one conversation");
        }

        var last = await gateway.AskAsync("bing-grounding",
            new AgentQuestion("Thanks", KeepThread: false, Owner: Alice, ConversationId: first.ConversationId), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.ConversationId, Is.Null);
            Assert.That(await gateway.GetConversationOwnerAsync(first.ConversationId!, CancellationToken.None), Is.Null, "deleted");
        }

        AssertEveryConversationDeleted(1);
    }

    [Test]
    public async Task TheOwnerOfAnUnknownConversation_IsNull()
    {
        Assert.That(await NewGateway().GetConversationOwnerAsync("conv_doesnotexist", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task AConversationMadeElsewhere_HasNoOwner()
    {
        var gateway = NewGateway();
        var kept = await gateway.AskAsync("plain", new AgentQuestion("Hi", KeepThread: true), CancellationToken.None);

        Assert.That(await gateway.GetConversationOwnerAsync(kept.ConversationId!, CancellationToken.None), Is.Null);
    }

    [Test]
    public void ContinuingAConversationThatDoesNotExist_IsConversationNotFound()
    {
        var ex = Assert.ThrowsAsync<ThreadNotFoundException>(() => NewGateway().AskAsync("bing-grounding",
            new AgentQuestion("Hi", KeepThread: true, Owner: Bob, ConversationId: "conv_doesnotexist"), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.IsConversation, Is.True);
            Assert.That(ex.ThreadId, Is.EqualTo("conv_doesnotexist"));
            Assert.That(Foundry.GetCounters().ConversationsCreated, Is.Zero);
        }
    }

    [Test]
    public void AnIdOfTheOtherProtocol_IsRefused_BeforeAnythingIsSent()
    {
        var newAgents = NewGateway();
        var classic = Gateway();

        var thread = Assert.ThrowsAsync<UpstreamException>(() =>
            newAgents.AskAsync("plain", new AgentQuestion("Hi", "thread_abc", KeepThread: true), CancellationToken.None));
        var conversation = Assert.ThrowsAsync<UpstreamException>(() =>
            classic.AskAsync("plain", new AgentQuestion("Hi", KeepThread: true, ConversationId: "conv_abc"), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(thread!.Failure, Is.EqualTo(UpstreamFailure.BadRequest));
            Assert.That(thread.Message, Does.Contain("thread_id").And.Contain("conversation_id"));
            Assert.That(conversation!.Failure, Is.EqualTo(UpstreamFailure.BadRequest));
            Assert.That(conversation.Message, Does.Contain("conversation_id").And.Contain("thread_id"));
            Assert.That(Foundry.GetCounters().ResponsesCreated, Is.Zero);
            Assert.That(Store.GetCounters().ThreadsCreated, Is.Zero);
        }
    }

    [Test]
    public async Task OneClassicAndOneNewAgent_AnswerFromOneGateway()
    {
        var gateway = Agents(definitions: new Dictionary<string, AgentDefinition>
        {
            ["bing-grounding"] = new() { AgentId = "asst_bing" },
            ["plain"] = new() { AgentName = "plain", AgentVersion = "1" },
        }).GetRequiredService<IAgentGateway>();

        var grounded = await Ask(gateway, "What happened in finance today?");
        var plain = await gateway.AskAsync("plain", new AgentQuestion("Tell me a fact"), CancellationToken.None);
        await gateway.ProbeAsync(CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gateway.ProtocolOf("bing-grounding"), Is.EqualTo(AgentProtocol.Classic));
            Assert.That(gateway.ProtocolOf("PLAIN"), Is.EqualTo(AgentProtocol.Responses));
            Assert.That(gateway.ProtocolOf("nobody"), Is.Null);
            Assert.That(grounded.Citations, Has.Count.EqualTo(3));
            Assert.That(plain.Content, Does.Contain("Tell me a fact"));
            Assert.That(Store.GetCounters().RunsCompleted, Is.EqualTo(1), "the classic agent ran on a thread");
            Assert.That(Foundry.GetCounters().ResponsesCompleted, Is.EqualTo(1), "the new agent answered a response");
        }
    }

    [Test]
    public async Task TheClassicDatedApiVersion_LeavesTheNewAgentsOnV1()
    {
        var gateway = Agents(o => o.ApiVersion = "2025-05-01", definitions: new Dictionary<string, AgentDefinition>
        {
            ["bing-grounding"] = new() { AgentId = "asst_bing" },
            ["plain"] = new() { AgentName = "plain" },
        }).GetRequiredService<IAgentGateway>();

        await gateway.ProbeAsync(CancellationToken.None);
        var plain = await gateway.AskAsync("plain", new AgentQuestion("Hi", KeepThread: true, Owner: Alice), CancellationToken.None);
        var grounded = await Ask(gateway, "What happened in finance today?");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plain.ConversationId, Does.StartWith("conv_"));
            Assert.That(grounded.Citations, Has.Count.EqualTo(3));
        }
    }

    [Test]
    public async Task Probe_ReadsNewAgents_WithoutRunningThem()
    {
        var gateway = NewGateway();

        await gateway.ProbeAsync(CancellationToken.None);

        Assert.That(Foundry.GetCounters().ResponsesCreated, Is.Zero);
    }

    [TestCase(null)]
    [TestCase("7")]
    public void Probe_ReportsAMissingNewAgentOrVersion(string? version)
    {
        var gateway = Agents(definitions: new Dictionary<string, AgentDefinition>
        {
            ["bing-grounding"] = new() { AgentName = version is null ? "nobody-here" : "bing-grounding", AgentVersion = version },
        }).GetRequiredService<IAgentGateway>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => gateway.ProbeAsync(CancellationToken.None));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.NotFound));
    }

    [TestCase(401, UpstreamFailure.Authentication)]
    [TestCase(403, UpstreamFailure.Authentication)]
    [TestCase(404, UpstreamFailure.NotFound)]
    [TestCase(400, UpstreamFailure.BadRequest)]
    [TestCase(500, UpstreamFailure.Unavailable)]
    [TestCase(503, UpstreamFailure.Unavailable)]
    [TestCase(504, UpstreamFailure.Timeout)]
    public void AnErrorStatus_MapsToItsFailure_AsOnTheClassicPath(int status, UpstreamFailure expected)
    {
        Server.Faults.Add(new FaultSpec { Status = status, Target = FaultInjector.AgentsTarget });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(NewGateway(), "Hi"));

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

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(NewGateway(o => o.MaxRetries = 3), "Hi"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(Server.Faults.Pending, Is.Empty, "tried once");
        }
    }

    [Test]
    public void ADroppedConnection_IsUnavailable()
    {
        Server.Faults.Add(new FaultSpec { Drop = true, Target = FaultInjector.AgentsTarget });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => Ask(NewGateway(), "Hi"));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
    }

    [TestCase("[simulate:fail] Hi", UpstreamFailure.Unavailable)]
    [TestCase("[simulate:rate_limit] Hi", UpstreamFailure.Throttled)]
    [TestCase("[simulate:empty] Hi", UpstreamFailure.BadResponse)]
    [TestCase("Hi trigger-content-filter", UpstreamFailure.ContentFiltered)]
    public void AResponseThatDoesNotComplete_MapsLikeAFailedRun_AndANewKeptConversationIsDeleted(string question, UpstreamFailure expected)
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            NewGateway().AskAsync("bing-grounding", new AgentQuestion(question, KeepThread: true, Owner: Alice), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(expected));
            if (expected == UpstreamFailure.Throttled)
            {
                Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(60)), "the wait the failed response names");
            }
        }

        AssertEveryConversationDeleted(1);
    }

    [Test]
    public async Task AContinuedConversation_IsKeptWhenItsQuestionFails()
    {
        var gateway = NewGateway();
        var kept = await gateway.AskAsync("plain", new AgentQuestion("Hi", KeepThread: true, Owner: Alice), CancellationToken.None);

        Assert.ThrowsAsync<UpstreamException>(() => gateway.AskAsync("plain",
            new AgentQuestion("[simulate:fail] again", KeepThread: true, Owner: Alice, ConversationId: kept.ConversationId), CancellationToken.None));

        Assert.That(Foundry.FindConversation(kept.ConversationId!)!.Deleted, Is.False);
    }

    [Test]
    public void AResponsePastTheDeadline_TimesOut_AndTheNewConversationIsDeleted()
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() => NewGateway(o => o.RunDeadlineSeconds = 0.5).AskAsync("bing-grounding",
            new AgentQuestion("[simulate:slow] Hi", KeepThread: true, Owner: Alice), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(ex.Message, Does.Contain("0.5 seconds"));
        }

        AssertEveryConversationDeleted(1);
    }

    [Test]
    public async Task Streaming_SendsDeltasWithoutMarkers_ThenTheWholeAnswer_WithTheKeptConversation()
    {
        var gateway = NewGateway();

        var updates = await StreamAllAsync(gateway, "bing-grounding", new AgentQuestion("What happened in finance today?", KeepThread: true, Owner: Alice));
        var plain = await Ask(gateway, "What happened in finance today?");

        var deltas = updates.OfType<AgentTextDelta>().Select(d => d.Text).ToList();
        var completed = updates[^1] as AgentAnswerCompleted;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deltas, Has.Count.GreaterThan(3), "the answer arrives in pieces");
            Assert.That(deltas, Has.None.Contain("【").And.None.Contain("†"));
            Assert.That(completed, Is.Not.Null, "the last update is the whole answer");
            Assert.That(updates.OfType<AgentAnswerCompleted>().Count(), Is.EqualTo(1));
            Assert.That(string.Concat(deltas).Trim(), Is.EqualTo(completed!.Answer.Content));
            Assert.That(completed.Answer.Content, Is.EqualTo(plain.Content));
            Assert.That(completed.Answer.Citations, Is.EqualTo(plain.Citations));
            Assert.That(completed.Answer.ConversationId, Does.StartWith("conv_"));
            Assert.That(Foundry.FindConversation(completed.Answer.ConversationId!)!.Metadata[AgentResponsesRunner.OwnerMetadataKey], Is.EqualTo(Alice));
        }
    }

    [Test]
    public async Task Streaming_AFailureBeforeTheFirstUpdate_SurfacesFromTheFirstMoveNext()
    {
        Server.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 12, Target = FaultInjector.AgentsTarget });
        var stream = NewGateway().StreamAsync("bing-grounding", new AgentQuestion("Hi"), CancellationToken.None);
        Assert.That(Foundry.GetCounters().ResponsesCreated, Is.Zero, "nothing is sent before the enumeration starts");

        await using var enumerator = stream.GetAsyncEnumerator();
        var ex = Assert.ThrowsAsync<UpstreamException>(async () => await enumerator.MoveNextAsync());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(12)));
        }
    }

    [Test]
    public void Streaming_AFailedResponse_EndsTheStreamWithItsFailure_AndDeletesTheNewConversation()
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            StreamAllAsync(NewGateway(), "bing-grounding", new AgentQuestion("[simulate:rate_limit] Hi", KeepThread: true, Owner: Alice)));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Throttled));
        AssertEveryConversationDeleted(1);
    }

    [Test]
    public async Task Streaming_StoppedEarlyByTheCaller_StillDeletesTheConversation()
    {
        var gateway = NewGateway();
        await foreach (var update in gateway.StreamAsync("bing-grounding", new AgentQuestion("What happened today?", KeepThread: true, Owner: Alice), CancellationToken.None))
        {
            Assert.That(update, Is.TypeOf<AgentTextDelta>());
            break;
        }

        AssertEveryConversationDeleted(1);
    }

    [Test]
    public void Streaming_PastTheDeadline_TimesOut()
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            StreamAllAsync(NewGateway(o => o.RunDeadlineSeconds = 0.5), "plain", new AgentQuestion("[simulate:slow] Hi")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(ex.Message, Does.Contain("0.5 seconds"));
        }
    }
}
