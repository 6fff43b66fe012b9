using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Domain.Chat;

public sealed class ChatCompletionTests
{
    [Test]
    public void Completion_KeepsContentModelFinishReasonAndUsage()
    {
        var usage = new TokenUsage(10, 5);
        var completion = new ChatCompletion("Fine, thanks.", "gpt-4o", "stop", usage);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(completion.Content, Is.EqualTo("Fine, thanks."));
            Assert.That(completion.Model, Is.EqualTo("gpt-4o"));
            Assert.That(completion.FinishReason, Is.EqualTo("stop"));
            Assert.That(completion.Usage.TotalTokens, Is.EqualTo(15));
        }
    }

    [Test]
    public void Completions_WithEqualParts_AreEqual()
    {
        var a = new ChatCompletion("x", "m", null, new TokenUsage(1, 2));
        var b = new ChatCompletion("x", "m", null, new TokenUsage(1, 2));

        Assert.That(a, Is.EqualTo(b));
    }
}
