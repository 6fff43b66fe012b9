using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Completion;
using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Application.Completion;

public sealed class GetCompletionHandlerTests
{
    private static readonly ChatCompletion Answer = new("I'm well.", "gpt-4o", "stop", new TokenUsage(20, 4));

    private Mock<IChatCompletionService> _chat = null!;
    private IReadOnlyList<ChatMessage>? _sent;
    private GetCompletionHandler _handler = null!;

    [SetUp]
    public void SetUp()
    {
        _sent = null;
        _chat = new Mock<IChatCompletionService>(MockBehavior.Strict);
        _chat.Setup(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<IReadOnlyList<ChatMessage>, CancellationToken>((m, _) => _sent = m)
            .ReturnsAsync(Answer);
        _handler = new GetCompletionHandler(_chat.Object, Options.Create(new ChatOptions { SystemPrompt = "You are terse." }));
    }

    [Test]
    public async Task SendsTheConfiguredSystemPromptThenTheQuery()
    {
        var result = await _handler.Handle(new GetCompletion("What is 2+2?"), CancellationToken.None);

        Assert.That(result, Is.SameAs(Answer));
        Assert.That(_sent, Is.EqualTo(new[] { ChatMessage.System("You are terse."), ChatMessage.User("What is 2+2?") }));
    }

    [TestCase(null)]
    [TestCase("")]
    public async Task WithoutAQuery_AsksTheDefaultQuestion(string? query)
    {
        await _handler.Handle(new GetCompletion(query), CancellationToken.None);

        Assert.That(GetCompletion.DefaultQuery, Is.EqualTo("how are you?"));
        Assert.That(_sent, Is.EqualTo(new[] { ChatMessage.System("You are terse."), ChatMessage.User(GetCompletion.DefaultQuery) }));
    }

    [Test]
    public async Task PassesTheCallersCancellationTokenToThePort()
    {
        using var cts = new CancellationTokenSource();

        await _handler.Handle(new GetCompletion("hi"), cts.Token);

        _chat.Verify(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), cts.Token), Times.Once);
    }

    [Test]
    public void UpstreamFailures_PropagateUnchanged()
    {
        var failure = new UpstreamException(UpstreamFailure.Unavailable, "down", upstreamStatus: 503);
        _chat.Setup(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), It.IsAny<CancellationToken>())).ThrowsAsync(failure);

        var thrown = Assert.ThrowsAsync<UpstreamException>(() => _handler.Handle(new GetCompletion("hi"), CancellationToken.None));

        Assert.That(thrown, Is.SameAs(failure));
    }
}
