using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Application.Agents;

public sealed class AskAgentTests
{
    private Mock<IAgentGateway> _agents = null!;

    [SetUp]
    public void SetUp()
    {
        _agents = new Mock<IAgentGateway>();
        _agents.SetupGet(a => a.AgentNames).Returns(["bing-grounding", "plain"]);
        _agents.Setup(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AgentAnswer("ok", []));
    }

    private AskAgentValidator Validator() => new(Options.Create(new ChatOptions()), _agents.Object);

    [Test]
    public async Task Handle_AsksTheNamedAgent()
    {
        var client = new Mock<ICurrentClient>();
        client.SetupGet(c => c.Identity).Returns("alice");
        _agents.Setup(a => a.GetThreadOwnerAsync("thread_1", It.IsAny<CancellationToken>())).ReturnsAsync(ThreadOwnership.OwnerOf("alice"));

        var answer = await new AskAgentHandler(_agents.Object, client.Object).Handle(new AskAgent("plain", "Summarise the handbook", "thread_1"), CancellationToken.None);

        Assert.That(answer.Content, Is.EqualTo("ok"));
        _agents.Verify(a => a.AskAsync("plain", new AgentQuestion("Summarise the handbook", "thread_1", true, ThreadOwnership.OwnerOf("alice")), CancellationToken.None), Times.Once);
    }

    [TestCase("plain")]
    [TestCase("PLAIN")]
    [TestCase("bing-grounding")]
    public void Validator_AcceptsKnownAgents(string agent)
    {
        Assert.That(Validator().Validate(new AskAgent(agent, "Hi")).IsValid, Is.True);
    }

    [TestCase(null)]
    [TestCase("nope")]
    public void Validator_RejectsUnknownAgents_NamingTheKnownOnes(string? agent)
    {
        var error = Validator().Validate(new AskAgent(agent, "Hi")).Errors.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.PropertyName, Is.EqualTo("agent"));
            Assert.That(error.ErrorMessage, Is.EqualTo("'agent' must be one of: bing-grounding, plain."));
        }
    }

    [Test]
    public void Validator_AppliesTheQuestionRules()
    {
        var result = Validator().Validate(new AskAgent("plain", " ", "bad id"));

        Assert.That(result.Errors.Select(e => e.PropertyName), Is.EquivalentTo(new[] { "query", "thread_id" }));
    }
}
