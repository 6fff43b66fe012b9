using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.UnitTests.Application.Chat;

public sealed class CompleteChatValidatorTests
{
    private static readonly ChatOptions SmallLimits = new() { MaxMessages = 3, MaxMessageLength = 10, MaxTotalLength = 25 };

    private static ValidationResult Validate(IReadOnlyList<ChatMessageInput?>? messages, ChatOptions? options = null) =>
        new CompleteChatValidator(Options.Create(options ?? SmallLimits)).Validate(new CompleteChat(messages!));

    private static ValidationResult Validate(params ChatMessageInput?[] messages) => Validate((IReadOnlyList<ChatMessageInput?>)messages);

    /// <summary>The errors as the API reports them: messages grouped by field path.</summary>
    private static IReadOnlyDictionary<string, string[]> Errors(ValidationResult result) => new ValidationException(result.Errors).Errors;

    [Test]
    public void AcceptsAConversationWithinTheLimits()
    {
        var result = Validate(
            new ChatMessageInput("system", "Be brief."),
            new ChatMessageInput("user", "Hi"),
            new ChatMessageInput("assistant", "Hello!"));

        Assert.That(result.Errors, Is.Empty);
    }

    [TestCase("Grüße! 你好")]
    [TestCase("😀👍🏽👨‍👩‍👧")]
    [TestCase("مرحبا بالعالم")]
    [TestCase("tabs\tand\r\nline breaks")]
    [TestCase("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 astral plane")]
    public void AcceptsValidUnicodeAndEmoji(string content)
    {
        Assert.That(Validate([new ChatMessageInput("user", content)], new ChatOptions()).Errors, Is.Empty);
    }

    [Test]
    public void RejectsMissingMessages_WithoutThrowing()
    {
        ValidationResult? result = null;
        Assert.DoesNotThrow(() => result = Validate((IReadOnlyList<ChatMessageInput?>?)null));

        Assert.That(Errors(result!), Is.EqualTo(new Dictionary<string, string[]> { ["messages"] = ["'messages' is required."] }));
    }

    [Test]
    public void RejectsAnEmptyConversation()
    {
        Assert.That(Errors(Validate()), Is.EqualTo(new Dictionary<string, string[]>
        {
            ["messages"] = ["'messages' must contain at least one message."],
        }));
    }

    [Test]
    public void RejectsANullMessage_NamingItsIndex()
    {
        var errors = Errors(Validate(new ChatMessageInput("user", "hi"), null));

        Assert.That(errors.Keys, Is.EqualTo(new[] { "messages[1]" }));
        Assert.That(errors["messages[1]"], Is.EqualTo(new[] { "A message must be an object with 'role' and 'content'." }));
    }

    [TestCase("tool")]
    [TestCase("User")]
    [TestCase("developer")]
    public void RejectsAnUnknownRole_WithTheFieldPath(string role)
    {
        var errors = Errors(Validate(new ChatMessageInput(role, "hi")));

        Assert.That(errors.Keys, Is.EqualTo(new[] { "messages[0].role" }));
        Assert.That(errors["messages[0].role"], Is.EqualTo(new[] { $"'role' must be one of system, user, assistant (got '{role}')." }));
    }

    [TestCase(null)]
    [TestCase("")]
    public void RejectsAMissingRole(string? role)
    {
        var errors = Errors(Validate(new ChatMessageInput(role, "hi")));

        Assert.That(errors, Is.EqualTo(new Dictionary<string, string[]> { ["messages[0].role"] = ["'role' is required."] }));
    }

    [Test]
    public void TruncatesALongUnknownRoleInTheMessage()
    {
        var role = new string('x', 500);

        var message = Errors(Validate(new ChatMessageInput(role, "hi")))["messages[0].role"].Single();

        Assert.That(message, Is.EqualTo($"'role' must be one of system, user, assistant (got '{new string('x', 20)}…')."));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("\n\t")]
    public void RejectsEmptyOrWhitespaceContent(string? content)
    {
        var errors = Errors(Validate(new ChatMessageInput("user", content)));

        Assert.That(errors, Is.EqualTo(new Dictionary<string, string[]> { ["messages[0].content"] = ["'content' must not be empty."] }));
    }

    [Test]
    public void AcceptsContentOfExactlyTheMaximumLength()
    {
        Assert.That(Validate(new ChatMessageInput("user", new string('a', 10))).Errors, Is.Empty);
    }

    [Test]
    public void RejectsContentLongerThanTheMaximumLength()
    {
        var errors = Errors(Validate(new ChatMessageInput("user", "ok"), new ChatMessageInput("assistant", new string('a', 11))));

        Assert.That(errors, Is.EqualTo(new Dictionary<string, string[]>
        {
            ["messages[1].content"] = ["'content' must be at most 10 characters."],
        }));
    }

    [Test]
    public void AcceptsExactlyTheMaximumNumberOfMessages()
    {
        Assert.That(Validate(new ChatMessageInput("user", "a"), new ChatMessageInput("assistant", "b"), new ChatMessageInput("user", "c")).Errors, Is.Empty);
    }

    [Test]
    public void RejectsTooManyMessages()
    {
        var messages = Enumerable.Range(0, 4).Select(i => new ChatMessageInput(i % 2 == 0 ? "user" : "assistant", "m")).ToArray();

        Assert.That(Errors(Validate(messages)), Is.EqualTo(new Dictionary<string, string[]>
        {
            ["messages"] = ["'messages' must contain at most 3 messages."],
        }));
    }

    [Test]
    public void AcceptsAConversationOfExactlyTheMaximumTotalSize()
    {
        var options = new ChatOptions { MaxMessages = 3, MaxMessageLength = 10, MaxTotalLength = 20 };

        var result = Validate([new ChatMessageInput("user", new string('a', 10)), new ChatMessageInput("assistant", new string('b', 10))], options);

        Assert.That(result.Errors, Is.Empty);
    }

    [Test]
    public void RejectsAConversationLargerThanTheTotalSizeBound_EvenWhenEachMessageFits()
    {
        var messages = new[]
        {
            new ChatMessageInput("user", new string('a', 9)),
            new ChatMessageInput("assistant", new string('b', 9)),
            new ChatMessageInput("user", new string('c', 9)),
        };

        Assert.That(Errors(Validate(messages)), Is.EqualTo(new Dictionary<string, string[]>
        {
            ["messages"] = ["The conversation must be at most 25 characters in total."],
        }));
    }

    [TestCase("nul\0")]
    [TestCase("bell\a")]
    [TestCase("esc\u001b[0m")]
    [TestCase("del\u007f")]
    [TestCase("c1\u0085")]
    public void RejectsControlCharacters(string content)
    {
        var errors = Errors(Validate(new ChatMessageInput("user", content)));

        Assert.That(errors, Is.EqualTo(new Dictionary<string, string[]>
        {
            ["messages[0].content"] = ["'content' must not contain control characters other than tab and line breaks."],
        }));
    }

    // Built at run time: attribute arguments cannot carry lone surrogates (they become U+FFFD in metadata).
    private static IEnumerable<TestCaseData> LoneSurrogates()
    {
        yield return new TestCaseData("a" + '\uD83D' + "b").SetArgDisplayNames("lone high surrogate");
        yield return new TestCaseData("a" + '\uDE00' + "b").SetArgDisplayNames("lone low surrogate");
        yield return new TestCaseData("end" + '\uD83D').SetArgDisplayNames("high surrogate at the end");
    }

    [TestCaseSource(nameof(LoneSurrogates))]
    public void RejectsLoneSurrogates(string content)
    {
        var errors = Errors(Validate(new ChatMessageInput("user", content)));

        Assert.That(errors, Is.EqualTo(new Dictionary<string, string[]>
        {
            ["messages[0].content"] = ["'content' must not contain control characters other than tab and line breaks."],
        }));
    }

    [Test]
    public void ReportsEveryInvalidMessageTogether()
    {
        var errors = Errors(Validate(
            new ChatMessageInput("robot", "hi"),
            new ChatMessageInput("user", "fine"),
            new ChatMessageInput("assistant", " ")));

        Assert.That(errors.Keys, Is.EquivalentTo(new[] { "messages[0].role", "messages[2].content" }));
    }

    [Test]
    public void ReportsANullMessageTogetherWithTheErrorsOfOtherMessages()
    {
        var errors = Errors(Validate(null, new ChatMessageInput("robot", "hi")));

        Assert.That(errors.Keys, Is.EquivalentTo(new[] { "messages[0]", "messages[1].role" }));
    }

    [Test]
    public void TooManyMessages_AreRejectedAsAWhole_WithoutAnErrorPerMessage()
    {
        var messages = Enumerable.Range(0, 50).Select(_ => new ChatMessageInput("robot", "")).ToArray();

        Assert.That(Errors(Validate(messages)).Keys, Is.EqualTo(new[] { "messages" }));
    }

    [Test]
    public void ReportsBothRoleAndContentOfTheSameMessage()
    {
        var errors = Errors(Validate(new ChatMessageInput("robot", "")));

        Assert.That(errors.Keys, Is.EquivalentTo(new[] { "messages[0].role", "messages[0].content" }));
    }
}
