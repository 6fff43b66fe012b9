using Wrapper.Application.Common;

namespace Wrapper.UnitTests.Application.Common;

public sealed class TextRulesTests
{
    [TestCase("plain text")]
    [TestCase("")]
    [TestCase("tab\there, line\nfeed and carriage\r\nreturn")]
    [TestCase("Grüße, こんにちは, مرحبا")]
    [TestCase("emoji 😀 and a family 👨‍👩‍👧")]
    [TestCase("\U0001F600")]
    public void AcceptsTextWithoutForbiddenCharacters(string text)
    {
        Assert.That(TextRules.HasNoForbiddenControlCharacters(text), Is.True);
    }

    [Test]
    public void AcceptsNull()
    {
        Assert.That(TextRules.HasNoForbiddenControlCharacters(null), Is.True);
    }

    [TestCase("nul\0byte")]
    [TestCase("bell\u0007")]
    [TestCase("\u0008backspace")]
    [TestCase("escape \u001b[31m red")]
    [TestCase("delete\u007f")]
    [TestCase("C1 next line \u0085")]
    [TestCase("C1 \u009f")]
    [TestCase("vertical\vtab")]
    [TestCase("form\ffeed")]
    public void RejectsControlCharactersOtherThanTabAndLineBreaks(string text)
    {
        Assert.That(TextRules.HasNoForbiddenControlCharacters(text), Is.False);
    }

    // Lone surrogates cannot travel in attribute arguments (metadata stores strings as UTF-8, which turns them into
    // U+FFFD), so these cases are built at run time.
    private static IEnumerable<TestCaseData> UnpairedSurrogates()
    {
        yield return new TestCaseData("lone high " + '\uD83D' + " surrogate").SetArgDisplayNames("lone high surrogate");
        yield return new TestCaseData("high surrogate at the end " + '\uD83D').SetArgDisplayNames("high surrogate at the end");
        yield return new TestCaseData("lone low " + '\uDE00' + " surrogate").SetArgDisplayNames("lone low surrogate");
        yield return new TestCaseData(new string(['\uDE00', '\uD83D'])).SetArgDisplayNames("pair in the wrong order");
        yield return new TestCaseData(new string(['\uD83D', '\uD83D', '\uDE00'])).SetArgDisplayNames("high surrogate before a valid pair");
    }

    [TestCaseSource(nameof(UnpairedSurrogates))]
    public void RejectsUnpairedSurrogates(string text)
    {
        Assert.That(text.Any(char.IsSurrogate), Is.True, "the case must really contain a surrogate");
        Assert.That(TextRules.HasNoForbiddenControlCharacters(text), Is.False);
    }

    [Test]
    public void RejectsAControlCharacterThatFollowsAValidSurrogatePair()
    {
        Assert.That(TextRules.HasNoForbiddenControlCharacters("😀\u0001"), Is.False);
    }
}
