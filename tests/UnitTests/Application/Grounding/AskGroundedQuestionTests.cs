using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Application.Grounding;

public sealed class AskGroundedQuestionTests
{
    private static readonly AgentAnswer Answer = new("Markets rose.", [new Citation(1, CitationType.Url, "https://a.example", "A")]);

    /// <summary>The owner tag of the calling client, <c>alice</c>.</summary>
    private static readonly string Alice = ThreadOwnership.OwnerOf("alice");

    private Mock<IAgentGateway> _agents = null!;
    private Mock<ICurrentClient> _client = null!;
    private AgentQuestion? _asked;
    private string? _agentName;

    [SetUp]
    public void SetUp()
    {
        _asked = null;
        _agentName = null;
        _agents = new Mock<IAgentGateway>();
        _agents.Setup(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Callback<string, AgentQuestion, CancellationToken>((n, q, _) => (_agentName, _asked) = (n, q))
            .ReturnsAsync(Answer);
        _agents.Setup(a => a.GetThreadOwnerAsync("thread_abc", It.IsAny<CancellationToken>())).ReturnsAsync(Alice);
        _agents.Setup(a => a.ProtocolOf("bing-grounding")).Returns(AgentProtocol.Classic);
        _client = new Mock<ICurrentClient>();
        _client.SetupGet(c => c.Identity).Returns("alice");
    }

    private AskGroundedQuestionHandler Handler() => new(_agents.Object, _client.Object);

    private AskGroundedQuestionValidator Validator(int maxLength = 32_000) =>
        new(Options.Create(new ChatOptions { MaxMessageLength = maxLength }), _agents.Object);

    [Test]
    public async Task Handle_AsksTheBingGroundingAgent_WithANewThrowawayThread()
    {
        var answer = await Handler().Handle(new AskGroundedQuestion("What happened in finance today?"), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer, Is.SameAs(Answer));
            Assert.That(_agentName, Is.EqualTo("bing-grounding"));
            Assert.That(_asked, Is.EqualTo(new AgentQuestion("What happened in finance today?", null, KeepThread: false, Alice)));
        }
    }

    [Test]
    public async Task Handle_WithAThreadId_ContinuesAndKeepsTheThread()
    {
        await Handler().Handle(new AskGroundedQuestion("And tomorrow?", "thread_abc"), CancellationToken.None);

        Assert.That(_asked, Is.EqualTo(new AgentQuestion("And tomorrow?", "thread_abc", KeepThread: true, Alice)));
    }

    [Test]
    public async Task Handle_WithAThreadIdAndKeepFalse_ContinuesThenEndsTheConversation()
    {
        await Handler().Handle(new AskGroundedQuestion("Thanks", "thread_abc", KeepThread: false), CancellationToken.None);

        Assert.That(_asked, Is.EqualTo(new AgentQuestion("Thanks", "thread_abc", KeepThread: false, Alice)));
    }

    [Test]
    public async Task Handle_WithKeepTrue_StartsAKeptThread()
    {
        await Handler().Handle(new AskGroundedQuestion("Hi", KeepThread: true), CancellationToken.None);

        Assert.That(_asked, Is.EqualTo(new AgentQuestion("Hi", null, KeepThread: true, Alice)));
    }

    [Test]
    public async Task Handle_PassesTheCallersCancellationToken()
    {
        using var cts = new CancellationTokenSource();

        await Handler().Handle(new AskGroundedQuestion("Hi"), cts.Token);

        _agents.Verify(a => a.AskAsync("bing-grounding", It.IsAny<AgentQuestion>(), cts.Token), Times.Once);
    }

    [Test]
    public void Handle_LetsUpstreamFailuresThrough()
    {
        var failure = new UpstreamException(UpstreamFailure.Throttled, "slow down", TimeSpan.FromSeconds(7), 429);
        _agents.Setup(a => a.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>())).ThrowsAsync(failure);

        var thrown = Assert.ThrowsAsync<UpstreamException>(() => Handler().Handle(new AskGroundedQuestion("Hi"), CancellationToken.None));

        Assert.That(thrown, Is.SameAs(failure));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    public void Validator_RequiresAQuery(string? query)
    {
        var result = Validator().Validate(new AskGroundedQuestion(query));

        Assert.That(result.Errors.Select(e => (e.PropertyName, e.ErrorMessage)), Is.EqualTo(new[] { ("query", "'query' is required.") }));
    }

    [Test]
    public void Validator_BoundsTheQueryLength()
    {
        var validator = Validator(maxLength: 10);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(validator.Validate(new AskGroundedQuestion(new string('a', 10))).IsValid, Is.True);
            Assert.That(validator.Validate(new AskGroundedQuestion(new string('a', 11))).Errors.Single().ErrorMessage,
                Is.EqualTo("'query' must be at most 10 characters."));
        }
    }

    [TestCase("bad\u0000byte")]
    [TestCase("bell\u0007")]
    [TestCase("lone {0} surrogate")]
    public void Validator_RejectsControlCharactersAndLoneSurrogates(string template)
    {
        // The lone surrogate is built here: test-case arguments are serialised as UTF-8, which would replace it.
        var query = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, '\ud800');
        var result = Validator().Validate(new AskGroundedQuestion(query));

        Assert.That(result.Errors.Single().PropertyName, Is.EqualTo("query"));
    }

    [Test]
    public void Validator_AcceptsUnicodeAndLineBreaks()
    {
        Assert.That(Validator().Validate(new AskGroundedQuestion("Qué pasó hoy 😀?\nÜber\tfinance")).IsValid, Is.True);
    }

    [TestCase("thread_abc123", true)]
    [TestCase("thread-ABC_9", true)]
    [TestCase("", false)]
    [TestCase("../assistants/x", false)]
    [TestCase("thread abc", false)]
    [TestCase("thread?x=1", false)]
    public void Validator_ChecksTheThreadIdShape(string threadId, bool valid)
    {
        var result = Validator().Validate(new AskGroundedQuestion("Hi", threadId));

        Assert.That(result.IsValid, Is.EqualTo(valid));
        if (!valid)
        {
            Assert.That(result.Errors.Single().PropertyName, Is.EqualTo("thread_id"));
        }
    }

    [Test]
    public void Validator_RejectsOverlongThreadIds()
    {
        Assert.That(Validator().Validate(new AskGroundedQuestion("Hi", new string('t', 129))).IsValid, Is.False);
    }
}
