using System.ComponentModel.DataAnnotations;
using Wrapper.Application.Common;

namespace Wrapper.UnitTests.Application.Common;

public sealed class ChatOptionsTests
{
    private static List<ValidationResult> Validate(ChatOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    private static IEnumerable<string> InvalidMembers(ChatOptions options) => Validate(options).SelectMany(r => r.MemberNames);

    [Test]
    public void Defaults_AreValid()
    {
        Assert.That(Validate(new ChatOptions()), Is.Empty);
    }

    [Test]
    public void Defaults_AreTheDocumentedLimits()
    {
        var options = new ChatOptions();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ChatOptions.SectionName, Is.EqualTo("Chat"));
            Assert.That(options.SystemPrompt, Is.Not.Empty);
            Assert.That(options.MaxMessages, Is.EqualTo(100));
            Assert.That(options.MaxMessageLength, Is.EqualTo(32_000));
            Assert.That(options.MaxTotalLength, Is.EqualTo(128_000));
        }
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase(null)]
    public void SystemPrompt_MustNotBeEmpty(string? prompt)
    {
        Assert.That(InvalidMembers(new ChatOptions { SystemPrompt = prompt! }), Is.EquivalentTo(new[] { nameof(ChatOptions.SystemPrompt) }));
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(10_001)]
    public void MaxMessages_OutsideItsRange_IsInvalid(int value)
    {
        Assert.That(InvalidMembers(new ChatOptions { MaxMessages = value }), Is.EquivalentTo(new[] { nameof(ChatOptions.MaxMessages) }));
    }

    [TestCase(0)]
    [TestCase(10_000_001)]
    public void MaxMessageLength_OutsideItsRange_IsInvalid(int value)
    {
        Assert.That(InvalidMembers(new ChatOptions { MaxMessageLength = value }), Is.EquivalentTo(new[] { nameof(ChatOptions.MaxMessageLength) }));
    }

    [TestCase(0)]
    [TestCase(10_000_001)]
    public void MaxTotalLength_OutsideItsRange_IsInvalid(int value)
    {
        Assert.That(InvalidMembers(new ChatOptions { MaxTotalLength = value }), Is.EquivalentTo(new[] { nameof(ChatOptions.MaxTotalLength) }));
    }

    [Test]
    public void BoundaryValues_AreValid()
    {
        var lowest = new ChatOptions { MaxMessages = 1, MaxMessageLength = 1, MaxTotalLength = 1 };
        var highest = new ChatOptions { MaxMessages = 10_000, MaxMessageLength = 10_000_000, MaxTotalLength = 10_000_000 };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Validate(lowest), Is.Empty);
            Assert.That(Validate(highest), Is.Empty);
        }
    }
}
