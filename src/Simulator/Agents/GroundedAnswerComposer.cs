using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Wrapper.Simulator.Agents;

/// <summary>An assistant answer: the text as the service sends it (markers included) and its annotations.</summary>
public sealed record ComposedAnswer(string Text, IReadOnlyList<TextAnnotation> Annotations);

/// <summary>
/// Writes the simulated agents' answers, derived from the question. Grounded answers put a 【n:m†source】 marker right
/// after each cited sentence and a matching annotation whose <c>start_index</c>/<c>end_index</c> are the marker's
/// UTF-16 offsets in the text (as in the service and in JavaScript strings). They cite one source twice with the
/// same marker and put two markers side by side, so that consumers' de-duplication and marker stripping are exercised.
/// </summary>
public static partial class GroundedAnswerComposer
{
    private const int MaxTopicTextElements = 100;

    /// <summary>Composes <paramref name="agent"/>'s answer to <paramref name="question"/>.</summary>
    /// <param name="agent">The answering agent; its kind decides the citations.</param>
    /// <param name="question">The user's last message.</param>
    /// <param name="markerGroup">The n of 【n:m†source】 (the service numbers tool outputs within the thread).</param>
    public static ComposedAnswer Compose(SimulatedAgent agent, string question, int markerGroup)
    {
        var topic = Topic(question);
        var answer = new AnswerBuilder(markerGroup);
        switch (agent.Kind)
        {
            case SimulatedAgentKind.BingGrounding:
                var slug = Slug(topic);
                var search = new UrlCitation($"https://www.bing.com/search?q={Uri.EscapeDataString(topic)}", $"{topic} - Bing");
                var news = new UrlCitation($"https://news.example.com/articles/{slug}", $"Latest developments: {topic} | Example News");
                var guide = new UrlCitation($"https://learn.example.org/guides/{slug}", $"{topic}: a practical overview | Example Learn");
                answer.Sentence($"Current web results about {topic} were found with Bing.");
                answer.UrlMarker(0, search);
                answer.Sentence(" The most recent reporting describes the latest developments and their context.");
                answer.UrlMarker(1, news);
                answer.UrlMarker(2, guide);
                answer.Sentence(" Background articles explain the key terms in more depth.");
                answer.UrlMarker(0, search);
                answer.Sentence(" Sources can change over time, so check the linked pages for updates.");
                break;
            case SimulatedAgentKind.FileSearch:
                var handbook = new FileCitation("assistant-SimHandbook01", $"Section 3 of the employee handbook covers {topic}.");
                var onboarding = new FileCitation("assistant-SimOnboarding02", "New employees follow the steps in the onboarding checklist.");
                answer.Sentence($"According to the employee handbook, {topic} is covered in the policies section.");
                answer.FileMarker(0, handbook);
                answer.Sentence(" The onboarding guide lists the steps to follow and whom to contact.");
                answer.FileMarker(1, onboarding);
                answer.Sentence(" Both documents were reviewed this year.");
                answer.FileMarker(0, handbook);
                break;
            default:
                answer.Sentence($"This is a simulated answer about {topic}.");
                answer.Sentence($" It was written locally by {agent.Name} in the Agent Service simulator and cites no sources.");
                break;
        }

        return answer.Build();
    }

    /// <summary>
    /// The question without <c>[simulate:…]</c> switches, whitespace collapsed, closing punctuation removed and cut to
    /// at most 100 text elements (never inside a surrogate pair).
    /// </summary>
    public static string Topic(string question)
    {
        var text = WhitespaceRun().Replace(SimulateSwitch().Replace(question, " "), " ").Trim().TrimEnd('?', '!', '.', ' ');
        if (text.Length == 0)
        {
            return "your question";
        }

        var elements = new StringInfo(text);
        return elements.LengthInTextElements <= MaxTopicTextElements
            ? text
            : elements.SubstringByTextElements(0, MaxTopicTextElements).TrimEnd();
    }

    private static string Slug(string topic)
    {
        var slug = new StringBuilder();
        foreach (var c in topic.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }

            if (slug.Length >= 60)
            {
                break;
            }
        }

        var result = slug.ToString().Trim('-');
        return result.Length == 0 ? "topic" : result;
    }

    /// <summary>An answer in the pieces a stream sends it in: each 【n:m†source】 marker whole (with its annotation), the rest
    /// word by word (a word with the whitespace around it). The pieces concatenate to <paramref name="text"/>.</summary>
    public static IEnumerable<(string Piece, TextAnnotation? Annotation)> StreamPieces(string text, IReadOnlyList<TextAnnotation> annotations)
    {
        var at = 0;
        foreach (var annotation in annotations.OrderBy(a => a.StartIndex))
        {
            foreach (var word in Words(text[at..annotation.StartIndex]))
            {
                yield return (word, null);
            }

            yield return (text[annotation.StartIndex..annotation.EndIndex], annotation);
            at = annotation.EndIndex;
        }

        foreach (var word in Words(text[at..]))
        {
            yield return (word, null);
        }
    }

    private static IEnumerable<string> Words(string text) => Word().Matches(text).Select(m => m.Value);

    [GeneratedRegex(@"\s*\S+\s*|\s+")]
    private static partial Regex Word();

    [GeneratedRegex(@"\[simulate:[a-z_]+\]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SimulateSwitch();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();

    private sealed class AnswerBuilder(int markerGroup)
    {
        private readonly StringBuilder _text = new();
        private readonly List<TextAnnotation> _annotations = [];

        public void Sentence(string sentence) => _text.Append(sentence);

        public void UrlMarker(int source, UrlCitation citation) =>
            Marker(source, (marker, start, end) => new TextAnnotation("url_citation", marker, start, end, citation, null));

        public void FileMarker(int source, FileCitation citation) =>
            Marker(source, (marker, start, end) => new TextAnnotation("file_citation", marker, start, end, null, citation));

        public ComposedAnswer Build() => new(_text.ToString(), _annotations);

        private void Marker(int source, Func<string, int, int, TextAnnotation> annotation)
        {
            var marker = string.Create(CultureInfo.InvariantCulture, $"【{markerGroup}:{source}†source】");
            var start = _text.Length; // UTF-16 code units, the unit of the service's indexes
            _text.Append(marker);
            _annotations.Add(annotation(marker, start, _text.Length));
        }
    }
}
