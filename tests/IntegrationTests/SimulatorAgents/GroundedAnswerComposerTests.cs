using Wrapper.Simulator.Agents;

namespace Wrapper.IntegrationTests.SimulatorAgents;

public sealed class GroundedAnswerComposerTests
{
    private static SimulatedAgent Agent(SimulatedAgentKind kind) =>
        SimulatedAgent.Defaults().Single(a => a.Kind == kind);

    [TestCase("What is the weather in Paris today?")]
    [TestCase("Émojis 🚀🌍 and accents: où est la 𝄞 clef?")]
    [TestCase("")]
    public void BingAnswer_AnnotationsPointExactlyAtTheirMarkers(string question)
    {
        var answer = GroundedAnswerComposer.Compose(Agent(SimulatedAgentKind.BingGrounding), question, 3);

        Assert.That(answer.Annotations, Has.Count.EqualTo(4));
        foreach (var annotation in answer.Annotations)
        {
            Assert.Multiple(() =>
            {
                Assert.That(annotation.Type, Is.EqualTo("url_citation"));
                Assert.That(annotation.Text, Does.Match(@"^【3:\d†source】$"));
                Assert.That(answer.Text.Substring(annotation.StartIndex, annotation.EndIndex - annotation.StartIndex), Is.EqualTo(annotation.Text));
                Assert.That(annotation.UrlCitation, Is.Not.Null);
                Assert.That(annotation.FileCitation, Is.Null);
            });
        }
    }

    [Test]
    public void BingAnswer_CitesOneSourceTwiceAndPutsTwoMarkersSideBySide()
    {
        var answer = GroundedAnswerComposer.Compose(Agent(SimulatedAgentKind.BingGrounding), "Who won the match?", 5);
        var a = answer.Annotations;

        Assert.Multiple(() =>
        {
            Assert.That(a.Select(x => x.UrlCitation!.Url).Distinct().Count(), Is.EqualTo(3), "three distinct sources");
            Assert.That(a[3].UrlCitation, Is.EqualTo(a[0].UrlCitation), "the first source is cited again at the end");
            Assert.That(a[3].Text, Is.EqualTo(a[0].Text), "with the same marker");
            Assert.That(a[2].StartIndex, Is.EqualTo(a[1].EndIndex), "markers 1 and 2 are adjacent");
            Assert.That(a[0].UrlCitation!.Url, Is.EqualTo("https://www.bing.com/search?q=Who%20won%20the%20match"));
            Assert.That(a[1].UrlCitation!.Url, Is.EqualTo("https://news.example.com/articles/who-won-the-match"));
            Assert.That(answer.Text[a[0].StartIndex - 1], Is.EqualTo('.'), "the marker follows a sentence");
        });
    }

    [Test]
    public void FileSearchAnswer_CarriesFileCitationsWithFileIdsAndQuotes()
    {
        var answer = GroundedAnswerComposer.Compose(Agent(SimulatedAgentKind.FileSearch), "How many vacation days do I get?", 4);

        Assert.That(answer.Annotations, Has.Count.EqualTo(3));
        Assert.Multiple(() =>
        {
            foreach (var annotation in answer.Annotations)
            {
                Assert.That(annotation.Type, Is.EqualTo("file_citation"));
                Assert.That(annotation.FileCitation!.FileId, Does.StartWith("assistant-"));
                Assert.That(annotation.FileCitation.Quote, Is.Not.Empty);
                Assert.That(annotation.UrlCitation, Is.Null);
                Assert.That(answer.Text.Substring(annotation.StartIndex, annotation.EndIndex - annotation.StartIndex), Is.EqualTo(annotation.Text));
            }
        });
    }

    [Test]
    public void PlainAnswer_HasNoCitationsOrMarkers()
    {
        var answer = GroundedAnswerComposer.Compose(Agent(SimulatedAgentKind.Plain), "Tell me a joke", 3);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Annotations, Is.Empty);
            Assert.That(answer.Text, Does.Not.Contain("【"));
            Assert.That(answer.Text, Does.Contain("Tell me a joke"));
        });
    }

    [Test]
    public void Topic_DropsSimulateSwitchesAndNeverSplitsASurrogatePair()
    {
        var longQuestion = string.Concat(Enumerable.Repeat("🚀", 150));

        var topic = GroundedAnswerComposer.Topic(longQuestion);

        Assert.Multiple(() =>
        {
            Assert.That(GroundedAnswerComposer.Topic("  [simulate:slow]  Why   is the sky blue?? "), Is.EqualTo("Why is the sky blue"));
            Assert.That(topic, Has.Length.EqualTo(200), "100 rockets of two UTF-16 units each");
            Assert.That(char.IsHighSurrogate(topic[^1]), Is.False);
        });
    }
}
