using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Domain.Agents;

public sealed class StreamingMarkerFilterTests
{
    /// <summary>Texts with markers in every position the whole-text rules care about.</summary>
    private static readonly string[] Texts =
    [
        "Stocks rose today 【3:0†source】. Bonds fell 【3:1†source】.",
        "Markets moved 【1:0†source】 on news 【1:1†source】 【1:2†source】 and then settled.",
        "No markers at all, just text with  two spaces.",
        "【4:0†source】 A line that starts with a marker.\n【4:1†source】Second line.",
        "Glued【5:0†source】 to the word, then end 【5:1†source】",
        "Not a marker 【just brackets】 and 【no dagger here】 stay.",
        "A broken 【3:0†so\nurce】 marker across a line break stays.",
        "Nested 【a【2:0†source】 keeps the first bracket.",
        "Emoji 🐙 before 【7:0†source】, after 🐙 【7:1†source】!",
        "Quote “fact 【8:0†source】” and (paren 【8:1†source】) close.",
        "Unfinished at the end 【9:0†sou",
        "Tabs\t【1:0†source】\tbetween.",
        "Full-width　【1:0†source】。",
        "Dagger † alone and 【】 empty and 【†】 minimal.",
        "",
        "   ",
    ];

    private static string Expected(string text) => CitationExtractor.RemoveMarkers(text, []);

    private static string Run(IEnumerable<string> pieces)
    {
        var filter = new StreamingMarkerFilter();
        var output = string.Concat(pieces.Select(filter.Push)) + filter.Flush();
        return output;
    }

    [TestCaseSource(nameof(Texts))]
    public void OneCharacterAtATime_MatchesTheWholeTextRules(string text)
    {
        Assert.That(Run(text.Select(c => c.ToString())).Trim(), Is.EqualTo(Expected(text)));
    }

    [TestCaseSource(nameof(Texts))]
    public void EverySplitIntoTwoOrThreeDeltas_MatchesTheWholeTextRules(string text)
    {
        var expected = Expected(text);
        for (var i = 0; i <= text.Length; i++)
        {
            for (var j = i; j <= text.Length; j++)
            {
                var pieces = new[] { text[..i], text[i..j], text[j..] };
                Assert.That(Run(pieces).Trim(), Is.EqualTo(expected), $"split at {i} and {j}");
            }
        }
    }

    [Test]
    public void AMarkerSplitAcrossDeltas_NeverReachesTheOutput_AndTextBeforeItIsNotHeldBack()
    {
        var filter = new StreamingMarkerFilter();

        var first = filter.Push("Stocks rose 【3:");
        var second = filter.Push("0†sou");
        var third = filter.Push("rce】 today.");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo("Stocks rose"), "text before the possible marker goes out at once");
            Assert.That(second, Is.Empty, "the marker is held back");
            Assert.That(third, Is.EqualTo(" today."));
            Assert.That(filter.Flush(), Is.Empty);
        }
    }

    [Test]
    public void BracketsThatCannotBeAMarker_AreReleasedOnceTooLong()
    {
        var filter = new StreamingMarkerFilter();
        var opened = filter.Push("Look 【");
        var long_ = filter.Push(new string('x', StreamingMarkerFilter.MaxMarkerLength));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(opened, Is.EqualTo("Look"));
            Assert.That(long_, Does.StartWith(" 【xxx"), "held text is released when it cannot close as a marker any more");
            Assert.That(opened + long_ + filter.Flush(), Is.EqualTo("Look 【" + new string('x', StreamingMarkerFilter.MaxMarkerLength)));
        }
    }

    [Test]
    public void Flush_ReleasesAnUnfinishedMarkerAsText()
    {
        var filter = new StreamingMarkerFilter();
        var sent = filter.Push("Cut short 【1:0†sou");

        Assert.That(sent + filter.Flush(), Is.EqualTo("Cut short 【1:0†sou"));
    }
}
