using System.Runtime.CompilerServices;
using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Application.Agents;

/// <summary>The streaming use cases (<see cref="StreamAgentAnswer"/>, <see cref="StreamGroundedAnswer"/>) and conversation
/// continuation on the asking ones: the question they build, and the ownership check that runs before the stream is
/// handed back (so a refusal is an exception before anything is written, and the agent is never asked).</summary>
public sealed class StreamAgentAnswerTests
{
    private const string ConversationId = "conv_abc";
    private const string ThreadId = "thread_abc";

    private static readonly string Alice = ThreadOwnership.OwnerOf("alice");

    private static readonly AgentAnswer Answer = new("Markets rose.", [new Citation(1, CitationType.Url, "https://a.example", "A")], null, ConversationId);

    private Mock<IAgentGateway> _agents = null!;
    private Mock<ICurrentClient> _client = null!;
    private AgentQuestion? _streamed;
    private string? _agentName;

    [SetUp]
    public void SetUp()
    {
        _streamed = null;
        _agentName = null;
        _agents = new Mock<IAgentGateway>(MockBehavior.Strict);
        _agents.Setup(a => a.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Callback<string, AgentQuestion, CancellationToken>((n, q, _) => (_agentName, _streamed) = (n, q))
            .Returns((string _, AgentQuestion _, CancellationToken ct) => Updates(ct));
        _agents.Setup(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Callback<string, AgentQuestion, CancellationToken>((n, q, _) => (_agentName, _streamed) = (n, q))
            .ReturnsAsync(Answer);
        _client = new Mock<ICurrentClient>();
        _client.SetupGet(c => c.Identity).Returns("alice");
    }

    private static async IAsyncEnumerable<AgentStreamUpdate> Updates([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return new AgentTextDelta("Markets ");
        yield return new AgentTextDelta("rose.");
        yield return new AgentAnswerCompleted(Answer);
    }

    private void ConversationOwnedBy(string? owner) =>
        _agents.Setup(a => a.GetConversationOwnerAsync(ConversationId, It.IsAny<CancellationToken>())).ReturnsAsync(owner);

    private Task<IAsyncEnumerable<AgentStreamUpdate>> Stream(string useCase, string? threadId, string? conversationId, bool? keep) => useCase switch
    {
        "grounded" => new StreamGroundedAnswerHandler(_agents.Object, _client.Object)
            .Handle(new StreamGroundedAnswer("Hi", threadId, keep, conversationId), CancellationToken.None),
        _ => new StreamAgentAnswerHandler(_agents.Object, _client.Object)
            .Handle(new StreamAgentAnswer("plain", "Hi", threadId, keep, conversationId), CancellationToken.None),
    };

    private static async Task<List<AgentStreamUpdate>> ReadAll(IAsyncEnumerable<AgentStreamUpdate> updates)
    {
        var all = new List<AgentStreamUpdate>();
        await foreach (var update in updates)
        {
            all.Add(update);
        }

        return all;
    }

    [TestCase("grounded", "bing-grounding")]
    [TestCase("agent", "plain")]
    public async Task ANewQuestion_StreamsTheAgentsUpdates_InOrder(string useCase, string agent)
    {
        var updates = await ReadAll(await Stream(useCase, null, null, null));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(updates, Is.EqualTo(new AgentStreamUpdate[] { new AgentTextDelta("Markets "), new AgentTextDelta("rose."), new AgentAnswerCompleted(Answer) }));
            Assert.That(_agentName, Is.EqualTo(agent));
            Assert.That(_streamed, Is.EqualTo(new AgentQuestion("Hi", null, KeepThread: false, Alice)));
        }

        _agents.Verify(a => a.GetThreadOwnerAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
        _agents.Verify(a => a.GetConversationOwnerAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [TestCase("grounded", null, true)]
    [TestCase("grounded", false, false)]
    [TestCase("agent", null, true)]
    [TestCase("agent", true, true)]
    public async Task TheOwner_ContinuesItsConversation_KeptUnlessToldOtherwise(string useCase, bool? keep, bool kept)
    {
        ConversationOwnedBy(Alice);

        await ReadAll(await Stream(useCase, null, ConversationId, keep));

        Assert.That(_streamed, Is.EqualTo(new AgentQuestion("Hi", null, kept, Alice, ConversationId)));
    }

    [TestCase("grounded", "bob")]
    [TestCase("grounded", null)]
    [TestCase("agent", "bob")]
    [TestCase("agent", null)]
    public void AnotherClientsConversation_OrAnUnknownOne_IsNotFound_BeforeTheStreamIsReturned(string useCase, string? owner)
    {
        ConversationOwnedBy(owner is null ? null : ThreadOwnership.OwnerOf(owner));

        var thrown = Assert.ThrowsAsync<ThreadNotFoundException>(() => Stream(useCase, null, ConversationId, null));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(thrown!.IsConversation, Is.True);
            Assert.That(thrown.Field, Is.EqualTo("conversation_id"));
            Assert.That(thrown.ThreadId, Is.EqualTo(ConversationId));
        }

        _agents.Verify(a => a.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [TestCase("grounded")]
    [TestCase("agent")]
    public void AnotherClientsThread_IsNotFound_BeforeTheStreamIsReturned(string useCase)
    {
        _agents.Setup(a => a.GetThreadOwnerAsync(ThreadId, It.IsAny<CancellationToken>())).ReturnsAsync(ThreadOwnership.OwnerOf("bob"));

        var thrown = Assert.ThrowsAsync<ThreadNotFoundException>(() => Stream(useCase, ThreadId, null, null));

        Assert.That(thrown!.IsConversation, Is.False);
        _agents.Verify(a => a.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task TheCallersToken_ReachesTheGateway()
    {
        using var cts = new CancellationTokenSource();

        await new StreamAgentAnswerHandler(_agents.Object, _client.Object).Handle(new StreamAgentAnswer("plain", "Hi"), cts.Token);

        _agents.Verify(a => a.StreamAsync("plain", It.IsAny<AgentQuestion>(), cts.Token), Times.Once);
    }

    [Test]
    public async Task AskingWithAConversationId_ContinuesThatConversation()
    {
        ConversationOwnedBy(Alice);

        var grounded = await new AskGroundedQuestionHandler(_agents.Object, _client.Object)
            .Handle(new AskGroundedQuestion("And tomorrow?", ConversationId: ConversationId), CancellationToken.None);
        var groundedQuestion = _streamed;
        var named = await new AskAgentHandler(_agents.Object, _client.Object)
            .Handle(new AskAgent("plain", "Thanks", KeepThread: false, ConversationId: ConversationId), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(grounded.ConversationId, Is.EqualTo(ConversationId));
            Assert.That(groundedQuestion, Is.EqualTo(new AgentQuestion("And tomorrow?", null, KeepThread: true, Alice, ConversationId)));
            Assert.That(named, Is.SameAs(Answer));
            Assert.That(_streamed, Is.EqualTo(new AgentQuestion("Thanks", null, KeepThread: false, Alice, ConversationId)));
        }
    }

    [Test]
    public void AskingWithAnotherClientsConversation_IsNotFound_AndNothingIsAsked()
    {
        ConversationOwnedBy(ThreadOwnership.OwnerOf("bob"));

        var thrown = Assert.ThrowsAsync<ThreadNotFoundException>(() =>
            new AskAgentHandler(_agents.Object, _client.Object).Handle(new AskAgent("plain", "Hi", ConversationId: ConversationId), CancellationToken.None));

        Assert.That(thrown!.IsConversation, Is.True);
        _agents.Verify(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
