using FluentValidation;
using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Application.Agents;

/// <summary>The conversation-id rules every question to an agent shares (ask and stream, by name and Bing-grounded):
/// <c>conversation_id</c>'s shape, and that the id sent is the kind its agent's protocol continues.</summary>
public sealed class AgentQuestionValidatorTests
{
    private Mock<IAgentGateway> _agents = null!;

    [SetUp]
    public void SetUp()
    {
        _agents = new Mock<IAgentGateway>(MockBehavior.Strict);
        _agents.SetupGet(a => a.AgentNames).Returns(["bing-grounding", "classic", "responses"]);
        _agents.Setup(a => a.ProtocolOf(It.IsAny<string>())).Returns((AgentProtocol?)null);
        _agents.Setup(a => a.ProtocolOf("classic")).Returns(AgentProtocol.Classic);
        _agents.Setup(a => a.ProtocolOf("responses")).Returns(AgentProtocol.Responses);
    }

    private static IOptions<ChatOptions> Options() => Microsoft.Extensions.Options.Options.Create(new ChatOptions());

    /// <summary>The four requests that ask an agent, each validated by its own validator.</summary>
    private IReadOnlyList<(string Field, string Message)> Errors(string useCase, string agent, string? threadId, string? conversationId)
    {
        var result = useCase switch
        {
            "ask" => new AskAgentValidator(Options(), _agents.Object).Validate(new AskAgent(agent, "Hi", threadId, null, conversationId)),
            "stream" => new StreamAgentAnswerValidator(Options(), _agents.Object).Validate(new StreamAgentAnswer(agent, "Hi", threadId, null, conversationId)),
            "grounded" => new AskGroundedQuestionValidator(Options(), _agents.Object).Validate(new AskGroundedQuestion("Hi", threadId, null, conversationId)),
            "grounded-stream" => new StreamGroundedAnswerValidator(Options(), _agents.Object).Validate(new StreamGroundedAnswer("Hi", threadId, null, conversationId)),
            _ => throw new ArgumentOutOfRangeException(nameof(useCase)),
        };
        return result.Errors.Select(e => (e.PropertyName, e.ErrorMessage)).ToList();
    }

    private static readonly string[] NamedUseCases = ["ask", "stream"];

    private static readonly string[] AllUseCases = ["ask", "stream", "grounded", "grounded-stream"];

    [TestCaseSource(nameof(NamedUseCases))]
    public void AConversationId_FitsAnAgentOnTheNewProtocol(string useCase)
    {
        Assert.That(Errors(useCase, "responses", null, "conv_abc123"), Is.Empty);
    }

    [TestCaseSource(nameof(NamedUseCases))]
    public void AThreadId_FitsAClassicAgent(string useCase)
    {
        Assert.That(Errors(useCase, "classic", "thread_abc123", null), Is.Empty);
    }

    [TestCaseSource(nameof(NamedUseCases))]
    public void AConversationId_ForAClassicAgent_IsRefused_NamingTheField(string useCase)
    {
        Assert.That(Errors(useCase, "classic", null, "conv_abc123"), Is.EqualTo(new[]
        {
            ("conversation_id", "'conversation_id' does not apply: agent 'classic' runs on classic threads; send 'thread_id'."),
        }));
    }

    [TestCaseSource(nameof(NamedUseCases))]
    public void AThreadId_ForAnAgentOnTheNewProtocol_IsRefused_NamingTheField(string useCase)
    {
        Assert.That(Errors(useCase, "responses", "thread_abc123", null), Is.EqualTo(new[]
        {
            ("thread_id", "'thread_id' does not apply: agent 'responses' runs on conversations (the new Agent Service protocol); send 'conversation_id'."),
        }));
    }

    [TestCase("ask", "classic", "conversation_id", "send 'thread_id' only")]
    [TestCase("stream", "classic", "conversation_id", "send 'thread_id' only")]
    [TestCase("ask", "responses", "thread_id", "send 'conversation_id' only")]
    [TestCase("stream", "responses", "thread_id", "send 'conversation_id' only")]
    public void BothIds_AreRefused_NamingTheOneThatDoesNotApply(string useCase, string agent, string field, string advice)
    {
        var errors = Errors(useCase, agent, "thread_abc123", "conv_abc123");

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0].Field, Is.EqualTo(field));
        Assert.That(errors[0].Message, Does.StartWith("Send 'thread_id' or 'conversation_id', not both").And.EndWith(advice + "."));
    }

    [TestCaseSource(nameof(NamedUseCases))]
    public void AnUnknownAgent_IsReportedOnce_AndBothIdsStillAreRefused(string useCase)
    {
        var errors = Errors(useCase, "nope", "thread_abc123", "conv_abc123");

        Assert.That(errors.Select(e => e.Field), Is.EquivalentTo(new[] { "agent", "conversation_id" }));
        Assert.That(errors.Single(e => e.Field == "conversation_id").Message, Is.EqualTo("Send 'thread_id' or 'conversation_id', not both."));
    }

    [TestCaseSource(nameof(NamedUseCases))]
    public void AnUnknownAgent_WithOneId_IsOnlyAnUnknownAgent(string useCase)
    {
        Assert.That(Errors(useCase, "nope", null, "conv_abc123").Select(e => e.Field), Is.EqualTo(new[] { "agent" }));
    }

    [TestCaseSource(nameof(AllUseCases))]
    public void TheBingGroundingAgent_IsJudgedByItsOwnProtocol(string useCase)
    {
        _agents.Setup(a => a.ProtocolOf("bing-grounding")).Returns(AgentProtocol.Responses);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Errors(useCase, "bing-grounding", null, "conv_1"), Is.Empty);
            Assert.That(Errors(useCase, "bing-grounding", "thread_1", null).Select(e => e.Field), Is.EqualTo(new[] { "thread_id" }));
        }

        _agents.Setup(a => a.ProtocolOf("bing-grounding")).Returns(AgentProtocol.Classic);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Errors(useCase, "bing-grounding", "thread_1", null), Is.Empty);
            Assert.That(Errors(useCase, "bing-grounding", null, "conv_1").Select(e => e.Field), Is.EqualTo(new[] { "conversation_id" }));
        }
    }

    [TestCase("conv_abc123", true)]
    [TestCase("conv-ABC_9", true)]
    [TestCase("", false)]
    [TestCase("../conversations/x", false)]
    [TestCase("conv abc", false)]
    [TestCase("conv?x=1", false)]
    public void TheConversationId_HasTheThreadIdsSafeShape(string conversationId, bool valid)
    {
        foreach (var useCase in AllUseCases)
        {
            _agents.Setup(a => a.ProtocolOf("bing-grounding")).Returns(AgentProtocol.Responses);
            var errors = Errors(useCase, "responses", null, conversationId);

            Assert.That(errors, valid ? Is.Empty : Is.EqualTo(new[]
            {
                ("conversation_id", "'conversation_id' must be 1 to 128 letters, digits, '_' or '-'."),
            }), useCase);
        }
    }

    [Test]
    public void AnOverlongConversationId_IsRefused()
    {
        Assert.That(Errors("ask", "responses", null, new string('c', 129)).Select(e => e.Field), Is.EqualTo(new[] { "conversation_id" }));
        Assert.That(Errors("ask", "responses", null, new string('c', 128)), Is.Empty);
    }

    [Test]
    public void TheStreamingValidators_ApplyTheQuestionRulesToo()
    {
        var named = new StreamAgentAnswerValidator(Options(), _agents.Object).Validate(new StreamAgentAnswer("nope", " ", "bad id"));
        var grounded = new StreamGroundedAnswerValidator(Options(), _agents.Object).Validate(new StreamGroundedAnswer(null));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(named.Errors.Select(e => e.PropertyName), Is.EquivalentTo(new[] { "agent", "query", "thread_id" }));
            Assert.That(grounded.Errors.Select(e => (e.PropertyName, e.ErrorMessage)), Is.EqualTo(new[] { ("query", "'query' is required.") }));
        }
    }
}
