using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Domain.Chat;

public sealed class TokenUsageTests
{
    [Test]
    public void TotalTokens_IsThePromptPlusCompletionTokens()
    {
        var usage = new TokenUsage(promptTokens: 12, completionTokens: 30);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(usage.PromptTokens, Is.EqualTo(12));
            Assert.That(usage.CompletionTokens, Is.EqualTo(30));
            Assert.That(usage.TotalTokens, Is.EqualTo(42));
        }
    }

    [Test]
    public void None_CountsNoTokens()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TokenUsage.None.PromptTokens, Is.Zero);
            Assert.That(TokenUsage.None.CompletionTokens, Is.Zero);
            Assert.That(TokenUsage.None.TotalTokens, Is.Zero);
        }
    }

    [Test]
    public void Constructor_RejectsNegativePromptTokens()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TokenUsage(-1, 0));
        Assert.That(ex!.ParamName, Is.EqualTo("promptTokens"));
    }

    [Test]
    public void Constructor_RejectsNegativeCompletionTokens()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TokenUsage(0, -1));
        Assert.That(ex!.ParamName, Is.EqualTo("completionTokens"));
    }

    [Test]
    public void Usages_WithTheSameCounts_AreEqual()
    {
        var usage = new TokenUsage(3, 4);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(usage, Is.EqualTo(new TokenUsage(3, 4)));
            Assert.That(usage, Is.Not.EqualTo(new TokenUsage(4, 3)));
        }
    }
}
