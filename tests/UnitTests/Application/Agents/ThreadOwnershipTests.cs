using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Application.Agents;

/// <summary>Only the client that made a thread continues or ends it; another client's thread and a thread that does not
/// exist read the same (<see cref="ThreadNotFoundException"/>), and neither reaches the agent.</summary>
public sealed class ThreadOwnershipTests
{
    private const string ThreadId = "thread_abc";

    private Mock<IAgentGateway> _agents = null!;
    private Mock<ICurrentClient> _client = null!;

    [SetUp]
    public void SetUp()
    {
        _agents = new Mock<IAgentGateway>(MockBehavior.Strict);
        _agents.Setup(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AgentAnswer("ok", [], ThreadId));
        _client = new Mock<ICurrentClient>();
        _client.SetupGet(c => c.Identity).Returns("alice");
    }

    private void ThreadOwnedBy(string? owner) =>
        _agents.Setup(a => a.GetThreadOwnerAsync(ThreadId, It.IsAny<CancellationToken>())).ReturnsAsync(owner);

    /// <summary>Both use cases that reach a thread: POST /bing-grounding and POST /agents/{name} (REST and MCP).</summary>
    private Task<AgentAnswer> Ask(string useCase, string? threadId, bool? keepThread) => useCase switch
    {
        "grounded" => new AskGroundedQuestionHandler(_agents.Object, _client.Object)
            .Handle(new AskGroundedQuestion("Hi", threadId, keepThread), CancellationToken.None),
        _ => new AskAgentHandler(_agents.Object, _client.Object)
            .Handle(new AskAgent("plain", "Hi", threadId, keepThread), CancellationToken.None),
    };

    [Test]
    public void OwnerOf_IsALowercaseHexSha256_ThatNamesNeitherTheClientNorItsKey()
    {
        var owner = ThreadOwnership.OwnerOf("alice");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(owner, Does.Match("^[0-9a-f]{64}$"));
            Assert.That(owner, Does.Not.Contain("alice"));
            Assert.That(ThreadOwnership.OwnerOf("alice"), Is.EqualTo(owner), "stable across calls (and so across replicas)");
            Assert.That(ThreadOwnership.OwnerOf("bob"), Is.Not.EqualTo(owner));
            Assert.That(ThreadOwnership.OwnerOf("Alice"), Is.Not.EqualTo(owner), "identities are compared exactly");
            Assert.That(owner.Length, Is.LessThanOrEqualTo(512), "fits an Agent Service metadata value");
        }
    }

    [TestCase("grounded", true)]
    [TestCase("grounded", false)]
    [TestCase("agent", true)]
    [TestCase("agent", false)]
    public async Task ANewThread_RecordsTheCallersOwnerTag_WithoutReadingAnyThread(string useCase, bool keep)
    {
        await Ask(useCase, null, keep);

        _agents.Verify(a => a.AskAsync(It.IsAny<string>(),
            It.Is<AgentQuestion>(q => q.ThreadId == null && q.Owner == ThreadOwnership.OwnerOf("alice")), It.IsAny<CancellationToken>()), Times.Once);
        _agents.Verify(a => a.GetThreadOwnerAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [TestCase("grounded", null, TestName = "The owner continues a thread (bing-grounding)")]
    [TestCase("grounded", false, TestName = "The owner ends a thread (bing-grounding)")]
    [TestCase("agent", true, TestName = "The owner continues a thread (agents)")]
    [TestCase("agent", false, TestName = "The owner ends a thread (agents)")]
    public async Task TheOwner_ContinuesOrEndsItsThread(string useCase, bool? keep)
    {
        ThreadOwnedBy(ThreadOwnership.OwnerOf("alice"));

        var answer = await Ask(useCase, ThreadId, keep);

        Assert.That(answer.Content, Is.EqualTo("ok"));
        _agents.Verify(a => a.AskAsync(It.IsAny<string>(),
            It.Is<AgentQuestion>(q => q.ThreadId == ThreadId && q.KeepThread == (keep ?? true)), It.IsAny<CancellationToken>()), Times.Once);
    }

    [TestCase("grounded", null)]
    [TestCase("grounded", false)]
    [TestCase("agent", null)]
    [TestCase("agent", false)]
    public void AnotherClientsThread_IsNotFound_AndNeitherContinuedNorDeleted(string useCase, bool? keep)
    {
        ThreadOwnedBy(ThreadOwnership.OwnerOf("bob"));

        var thrown = Assert.ThrowsAsync<ThreadNotFoundException>(() => Ask(useCase, ThreadId, keep));

        Assert.That(thrown!.ThreadId, Is.EqualTo(ThreadId));
        _agents.Verify(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [TestCase("grounded", null)]
    [TestCase("grounded", false)]
    [TestCase("agent", null)]
    [TestCase("agent", false)]
    public void AnUnknownThread_OrOneWithoutAnOwner_IsNotFound_TheSameWay(string useCase, bool? keep)
    {
        ThreadOwnedBy(null);

        var unknown = Assert.ThrowsAsync<ThreadNotFoundException>(() => Ask(useCase, ThreadId, keep));

        ThreadOwnedBy(ThreadOwnership.OwnerOf("bob"));
        var foreign = Assert.ThrowsAsync<ThreadNotFoundException>(() => Ask(useCase, ThreadId, keep));
        Assert.That(unknown!.Message, Is.EqualTo(foreign!.Message), "a foreign thread cannot be told from a missing one");
        _agents.Verify(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public void TheOwnerTagsOfTwoClients_AreNeverConfused_EvenWhenOneIsAPrefixOfTheOther()
    {
        ThreadOwnedBy(ThreadOwnership.OwnerOf("alice2"));

        Assert.ThrowsAsync<ThreadNotFoundException>(() => Ask("grounded", ThreadId, null));
    }

    [Test]
    public void TheOwnerLookupsUpstreamFailure_IsPassedOn_AndNothingIsAsked()
    {
        _agents.Setup(a => a.GetThreadOwnerAsync(ThreadId, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new UpstreamException(UpstreamFailure.Unavailable, "down"));

        var thrown = Assert.ThrowsAsync<UpstreamException>(() => Ask("grounded", ThreadId, null));

        Assert.That(thrown!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
        _agents.Verify(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
