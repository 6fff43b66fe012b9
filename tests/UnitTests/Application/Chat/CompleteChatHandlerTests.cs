using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Application.Chat;

public sealed class CompleteChatHandlerTests
{
    private const string ConfiguredPrompt = "You are a pirate.";
    private static readonly ChatCompletion Answer = new("Arr.", "gpt-4o", "stop", new TokenUsage(30, 2));

    private Mock<IChatCompletionService> _chat = null!;
    private IReadOnlyList<ChatMessage>? _sent;
    private CompleteChatHandler _handler = null!;

    [SetUp]
    public void SetUp()
    {
        _sent = null;
        _chat = new Mock<IChatCompletionService>(MockBehavior.Strict);
        _chat.Setup(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<IReadOnlyList<ChatMessage>, CancellationToken>((m, _) => _sent = m)
            .ReturnsAsync(Answer);
        _handler = new CompleteChatHandler(_chat.Object, Options.Create(new ChatOptions { SystemPrompt = ConfiguredPrompt }));
    }

    [Test]
    public async Task WithoutASystemMessage_PrependsTheConfiguredSystemPrompt()
    {
        var result = await _handler.Handle(new CompleteChat(
        [
            new ChatMessageInput("user", "Hello"),
            new ChatMessageInput("assistant", "Ahoy"),
            new ChatMessageInput("user", "Where is the treasure?"),
        ]), CancellationToken.None);

        Assert.That(result, Is.SameAs(Answer));
        Assert.That(_sent, Is.EqualTo(new[]
        {
            ChatMessage.System(ConfiguredPrompt),
            ChatMessage.User("Hello"),
            ChatMessage.Assistant("Ahoy"),
            ChatMessage.User("Where is the treasure?"),
        }));
    }

    [Test]
    public async Task WithASystemMessageFirst_SendsTheConversationUnchanged()
    {
        await _handler.Handle(new CompleteChat(
        [
            new ChatMessageInput("system", "You are a librarian."),
            new ChatMessageInput("user", "Recommend a book."),
        ]), CancellationToken.None);

        Assert.That(_sent, Is.EqualTo(new[] { ChatMessage.System("You are a librarian."), ChatMessage.User("Recommend a book.") }));
    }

    [Test]
    public async Task WithASystemMessageLaterInTheConversation_DoesNotAddTheConfiguredPrompt()
    {
        await _handler.Handle(new CompleteChat(
        [
            new ChatMessageInput("user", "Hi"),
            new ChatMessageInput("system", "Answer in French."),
        ]), CancellationToken.None);

        Assert.That(_sent, Is.EqualTo(new[] { ChatMessage.User("Hi"), ChatMessage.System("Answer in French.") }));
        Assert.That(_sent!.Select(m => m.Content), Has.None.EqualTo(ConfiguredPrompt));
    }

    [Test]
    public async Task RolesAndContentAreMappedVerbatim()
    {
        await _handler.Handle(new CompleteChat(
        [
            new ChatMessageInput("system", "  padded  "),
            new ChatMessageInput("assistant", "line\nbreak 😀"),
        ]), CancellationToken.None);

        Assert.That(_sent, Is.EqualTo(new[] { ChatMessage.System("  padded  "), ChatMessage.Assistant("line\nbreak 😀") }));
    }

    [Test]
    public async Task PassesTheCallersCancellationTokenToThePort()
    {
        using var cts = new CancellationTokenSource();

        await _handler.Handle(new CompleteChat([new ChatMessageInput("user", "hi")]), cts.Token);

        _chat.Verify(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), cts.Token), Times.Once);
    }

    [Test]
    public void UpstreamFailures_PropagateUnchanged()
    {
        var failure = new UpstreamException(UpstreamFailure.ContentFiltered, "Blocked by the content filter.", upstreamStatus: 400);
        _chat.Setup(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), It.IsAny<CancellationToken>())).ThrowsAsync(failure);

        var thrown = Assert.ThrowsAsync<UpstreamException>(() =>
            _handler.Handle(new CompleteChat([new ChatMessageInput("user", "hi")]), CancellationToken.None));

        Assert.That(thrown, Is.SameAs(failure));
    }
}
