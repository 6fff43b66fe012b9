using Wrapper.Domain.Agents;

namespace Wrapper.UnitTests.Domain.Agents;

public sealed class CitationExtractorTests
{
    private static TextAnnotation Url(string text, string marker, string url, string? title = null) =>
        new(CitationType.Url, marker, text.IndexOf(marker, StringComparison.Ordinal), text.IndexOf(marker, StringComparison.Ordinal) + marker.Length, url, title);

    [Test]
    public void Extract_RemovesMarkers_AndNumbersCitationsFromOne()
    {
        const string text = "Stocks rose today 【3:0†source】. Bonds fell 【3:1†source】.";
        var answer = CitationExtractor.Extract(text,
        [
            Url(text, "【3:0†source】", "https://news.example/stocks", "Stocks"),
            Url(text, "【3:1†source】", "https://news.example/bonds", "Bonds"),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("Stocks rose today. Bonds fell."));
            Assert.That(answer.Citations, Is.EqualTo(new[]
            {
                new Citation(1, CitationType.Url, "https://news.example/stocks", "Stocks"),
                new Citation(2, CitationType.Url, "https://news.example/bonds", "Bonds"),
            }));
            Assert.That(answer.ThreadId, Is.Null);
        }
    }

    [Test]
    public void Extract_KeepsThreadId()
    {
        var answer = CitationExtractor.Extract("Hi", [], "thread_1");

        Assert.That(answer.ThreadId, Is.EqualTo("thread_1"));
    }

    [Test]
    public void Extract_MergesDuplicateUrls_KeepingFirstNumberAndFillingMissingTitle()
    {
        const string text = "A【1:0†source】 B【1:1†source】 C【1:2†source】";
        var answer = CitationExtractor.Extract(text,
        [
            Url(text, "【1:0†source】", "https://a.example", title: null),
            Url(text, "【1:1†source】", "https://b.example", "B page"),
            Url(text, "【1:2†source】", "https://a.example", "A page"),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("A B C"));
            Assert.That(answer.Citations, Is.EqualTo(new[]
            {
                new Citation(1, CitationType.Url, "https://a.example", "A page"),
                new Citation(2, CitationType.Url, "https://b.example", "B page"),
            }));
        }
    }

    [Test]
    public void Extract_TitleFallsBackToUrl()
    {
        const string text = "Fact【1†source】.";
        var answer = CitationExtractor.Extract(text, [Url(text, "【1†source】", "https://x.example/page", "   ")]);

        Assert.That(answer.Citations.Single().Title, Is.EqualTo("https://x.example/page"));
    }

    [Test]
    public void Extract_MapsFileCitationsToFileType_WithQuote_AndFileIdAsTitleFallback()
    {
        const string text = "The policy allows it 【4:0†handbook.pdf】.";
        var answer = CitationExtractor.Extract(text,
        [
            new TextAnnotation(CitationType.File, "【4:0†handbook.pdf】", 21, 21 + "【4:0†handbook.pdf】".Length, "assistant-file-1", Quote: "Employees may ..."),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("The policy allows it."));
            Assert.That(answer.Citations, Is.EqualTo(new[] { new Citation(1, CitationType.File, "assistant-file-1", "assistant-file-1", "Employees may ...") }));
        }
    }

    [Test]
    public void Extract_SameSourceOfDifferentKinds_AreDifferentCitations()
    {
        var answer = CitationExtractor.Extract("x",
        [
            new TextAnnotation(CitationType.Url, "", null, null, "same"),
            new TextAnnotation(CitationType.File, "", null, null, "same"),
        ]);

        Assert.That(answer.Citations.Select(c => (c.Id, c.Type)), Is.EqualTo(new[] { (1, CitationType.Url), (2, CitationType.File) }));
    }

    [Test]
    public void Extract_AnnotationWithoutSource_RemovesMarkerButIsNotCited()
    {
        const string text = "Claim 【1:0†source】 here.";
        var answer = CitationExtractor.Extract(text, [Url(text, "【1:0†source】", "  ")]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("Claim here."));
            Assert.That(answer.Citations, Is.Empty);
        }
    }

    [Test]
    public void Extract_AdjacentMarkers_LeaveNoDoubleSpace()
    {
        const string text = "Rates held 【1:0†source】【1:1†source】 and markets rallied 【1:2†source】 【1:3†source】.";
        var answer = CitationExtractor.Extract(text,
        [
            Url(text, "【1:0†source】", "https://a"),
            Url(text, "【1:1†source】", "https://b"),
            Url(text, "【1:2†source】", "https://c"),
            Url(text, "【1:3†source】", "https://d"),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("Rates held and markets rallied."));
            Assert.That(answer.Citations.Select(c => c.Id), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        }
    }

    [Test]
    public void Extract_StrayMarkersWithoutAnnotations_AreRemoved()
    {
        var answer = CitationExtractor.Extract("One 【2:0†source】 two【7†notes.txt】, three 【0:12†source】", []);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("One two, three"));
            Assert.That(answer.Citations, Is.Empty);
        }
    }

    [Test]
    public void Extract_InvalidIndexes_FallBackToMarkerText()
    {
        const string text = "Alpha 【5:0†source】 beta 【5:0†source】.";
        var answer = CitationExtractor.Extract(text,
        [
            new TextAnnotation(CitationType.Url, "【5:0†source】", 999, 1010, "https://a"),
            new TextAnnotation(CitationType.Url, "【5:0†source】", -3, 2, "https://a"),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("Alpha beta."));
            Assert.That(answer.Citations, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void Extract_IndexesPointingAtOtherText_DoNotCutIt()
    {
        const string text = "Keep every word here [a]";
        var answer = CitationExtractor.Extract(text, [new TextAnnotation(CitationType.Url, "[a]", 0, 4, "https://a")]);

        Assert.That(answer.Content, Is.EqualTo("Keep every word here"));
    }

    [Test]
    public void Extract_AnnotationWithoutMarkerText_CutsOnlyWhenTheRangeIsAMarker()
    {
        const string text = "Keep this 【1:0†source】 text";
        var answer = CitationExtractor.Extract(text,
        [
            new TextAnnotation(CitationType.Url, "", 0, 4, "https://a"),
            new TextAnnotation(CitationType.Url, "", 10, 10 + "【1:0†source】".Length, "https://b"),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("Keep this text"));
            Assert.That(answer.Citations, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public void Extract_UnicodeText_WithUtf16Indexes()
    {
        const string text = "Café 😀 über 【3:0†source】 naïve.";
        var answer = CitationExtractor.Extract(text, [Url(text, "【3:0†source】", "https://u.example/ü", "Über ✓")]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("Café 😀 über naïve."));
            Assert.That(answer.Citations.Single().Title, Is.EqualTo("Über ✓"));
        }
    }

    [Test]
    public void Extract_UnicodeText_WithCodePointIndexes()
    {
        const string text = "😀😀 emoji 【3:0†source】 text";
        // Counted in code points each emoji is 1, so the marker starts at 9, not at 11 (UTF-16).
        var utf16Start = text.IndexOf('【', StringComparison.Ordinal);
        const int codePointStart = 9;
        Assert.That(utf16Start, Is.EqualTo(11));

        var answer = CitationExtractor.Extract(text,
            [new TextAnnotation(CitationType.Url, "【3:0†source】", codePointStart, codePointStart + "【3:0†source】".Length, "https://e")]);

        Assert.That(answer.Content, Is.EqualTo("😀😀 emoji text"));
    }

    [Test]
    public void Extract_CjkText_RemovesSpaceBeforeFullWidthPunctuation()
    {
        const string text = "東京の株価は上昇した 【1:0†source】。";
        var answer = CitationExtractor.Extract(text, [Url(text, "【1:0†source】", "https://jp.example")]);

        Assert.That(answer.Content, Is.EqualTo("東京の株価は上昇した。"));
    }

    [TestCase("", "")]
    [TestCase("   ", "")]
    [TestCase("【1:0†source】", "")]
    [TestCase(" 【1:0†source】 【1:1†source】 ", "")]
    public void Extract_EmptyOrMarkerOnlyAnswers_GiveEmptyContent(string text, string expected)
    {
        Assert.That(CitationExtractor.Extract(text, []).Content, Is.EqualTo(expected));
    }

    [Test]
    public void Extract_NullTextAndAnnotations_GiveEmptyAnswer()
    {
        var answer = CitationExtractor.Extract(null, null);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.Empty);
            Assert.That(answer.Citations, Is.Empty);
        }
    }

    [Test]
    public void Extract_KeepsLineBreaksAndIntentionalSpacing()
    {
        const string text = "Line one 【1:0†source】\n  indented  code 【1:1†source】\n【1:2†source】 Third";
        var answer = CitationExtractor.Extract(text, []);

        Assert.That(answer.Content, Is.EqualTo("Line one\n  indented  code\nThird"));
    }

    [TestCase("See (source 【1:0†source】) now", "See (source) now")]
    [TestCase("Quote “text 【1:0†source】” end", "Quote “text” end")]
    [TestCase("First.【1:0†source】 Second", "First. Second")]
    [TestCase("Glued【1:0†source】word", "Gluedword")]
    [TestCase("Tab\t【1:0†source】\tafter", "Tab\tafter")]
    public void Extract_CleansOnlyTheSpaceARemovalLeaves(string text, string expected)
    {
        Assert.That(CitationExtractor.Extract(text, []).Content, Is.EqualTo(expected));
    }

    [Test]
    public void Extract_TextWithoutMarkers_IsOnlyTrimmed()
    {
        const string text = "  Nothing  to   remove here.  ";

        Assert.That(CitationExtractor.Extract(text, []).Content, Is.EqualTo("Nothing  to   remove here."));
    }

    [Test]
    public void Extract_BracketsWithoutDagger_AreNotMarkers()
    {
        const string text = "Title 【Important】 stays";

        Assert.That(CitationExtractor.Extract(text, []).Content, Is.EqualTo(text));
    }

    [Test]
    public void Extract_OverlappingAnnotations_AreRemovedOnce()
    {
        const string text = "X 【1:0†source】 Y";
        var answer = CitationExtractor.Extract(text,
        [
            Url(text, "【1:0†source】", "https://a"),
            Url(text, "【1:0†source】", "https://b"),
            new TextAnnotation(CitationType.Url, "1:0", 3, 6, "https://c"),
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Is.EqualTo("X Y"));
            Assert.That(answer.Citations.Select(c => c.Url), Is.EqualTo(new[] { "https://a", "https://b", "https://c" }));
        }
    }
}
