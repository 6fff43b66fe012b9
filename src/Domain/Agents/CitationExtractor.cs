using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Wrapper.Domain.Agents;

/// <summary>
/// Turns an agent's raw text and its annotations into an <see cref="AgentAnswer"/>: inline citation markers
/// removed, sources numbered from 1.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Each annotation's marker is removed at its index range when that range really holds the marker;
/// otherwise every occurrence of the marker text is removed.</item>
/// <item>Stray markers shaped like <c>【…†…】</c> that no annotation describes are removed as well.</item>
/// <item>Only markers are removed, never other text. Where a removal leaves two spaces, or a space before
/// punctuation or a line end, the extra space goes too; other whitespace is kept as written. The result is trimmed.</item>
/// <item>Citations are numbered from 1 in annotation order. Annotations of the same kind with the same source
/// (url or file id, compared ordinally) share one citation; a title or quote missing on the first occurrence
/// is taken from a later one. A missing title falls back to the source. Annotations without a source are not
/// cited (their markers are still removed).</item>
/// </list>
/// </remarks>
public static partial class CitationExtractor
{
    /// <summary>Builds the answer.</summary>
    /// <param name="text">The agent's raw text; null is treated as empty.</param>
    /// <param name="annotations">The annotations, in the order the service listed them.</param>
    /// <param name="threadId">The conversation thread to report back, when the caller keeps it.</param>
    public static AgentAnswer Extract(string? text, IEnumerable<TextAnnotation>? annotations, string? threadId = null)
    {
        var list = annotations?.ToList() ?? [];
        return new AgentAnswer(RemoveMarkers(text ?? string.Empty, list), Number(list), threadId);
    }

    /// <summary>Removes the markers of <paramref name="annotations"/> and any stray <c>【…†…】</c> marker.</summary>
    public static string RemoveMarkers(string text, IReadOnlyList<TextAnnotation> annotations)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(annotations);

        var ranges = new List<(int Start, int End)>();
        var byText = new HashSet<string>(StringComparer.Ordinal);
        foreach (var annotation in annotations)
        {
            if (FindByIndex(text, annotation) is { } range)
            {
                ranges.Add(range);
            }
            else if (!string.IsNullOrWhiteSpace(annotation.Marker))
            {
                byText.Add(annotation.Marker);
            }
        }

        foreach (var marker in byText)
        {
            for (var at = text.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = text.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
            {
                ranges.Add((at, at + marker.Length));
            }
        }

        foreach (Match match in StrayMarker().Matches(text))
        {
            ranges.Add((match.Index, match.Index + match.Length));
        }

        return ranges.Count == 0 ? text.Trim() : Cut(text, Merge(text, ranges)).Trim();
    }

    /// <summary>Numbers the cited sources from 1 in annotation order, merging duplicates.</summary>
    public static IReadOnlyList<Citation> Number(IEnumerable<TextAnnotation> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);

        var order = new List<(CitationType Kind, string Source)>();
        var found = new Dictionary<(CitationType Kind, string Source), (string? Title, string? Quote)>();
        foreach (var annotation in annotations)
        {
            if (string.IsNullOrWhiteSpace(annotation.Source))
            {
                continue;
            }

            var key = (annotation.Kind, annotation.Source.Trim());
            var title = NullIfBlank(annotation.Title);
            var quote = NullIfBlank(annotation.Quote);
            if (found.TryGetValue(key, out var known))
            {
                found[key] = (known.Title ?? title, known.Quote ?? quote);
            }
            else
            {
                order.Add(key);
                found[key] = (title, quote);
            }
        }

        var citations = new List<Citation>(order.Count);
        foreach (var key in order)
        {
            var (title, quote) = found[key];
            citations.Add(new Citation(citations.Count + 1, key.Kind, key.Source, title ?? key.Source, quote));
        }

        return citations;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The annotation's range when its indexes point at its marker, counted either in UTF-16 code
    /// units or in code points. An annotation without marker text is trusted only if the range holds a
    /// <c>【…†…】</c> marker, so no answer text is ever cut on the strength of indexes alone.</summary>
    private static (int Start, int End)? FindByIndex(string text, TextAnnotation annotation)
    {
        if (annotation.StartIndex is not { } start || annotation.EndIndex is not { } end || start < 0 || end <= start)
        {
            return null;
        }

        if (Holds(text, start, end, annotation.Marker))
        {
            return (start, end);
        }

        if (CodePointToUtf16(text, start) is { } s && CodePointToUtf16(text, end) is { } e && e > s && Holds(text, s, e, annotation.Marker))
        {
            return (s, e);
        }

        return null;
    }

    private static bool Holds(string text, int start, int end, string marker)
    {
        if (end > text.Length)
        {
            return false;
        }

        var span = text.AsSpan(start, end - start);
        return string.IsNullOrEmpty(marker)
            ? StrayMarker().Match(text, start, end - start) is { Success: true } m && m.Index == start && m.Length == end - start
            : span.SequenceEqual(marker);
    }

    private static int? CodePointToUtf16(string text, int codePoints)
    {
        var utf16 = 0;
        for (var seen = 0; seen < codePoints; seen++)
        {
            if (utf16 >= text.Length)
            {
                return null;
            }

            utf16 += char.IsSurrogatePair(text, utf16) ? 2 : 1;
        }

        return utf16 <= text.Length ? utf16 : null;
    }

    /// <summary>Sorts the ranges and joins those that overlap, touch, or are separated only by spaces or tabs
    /// (adjacent markers such as <c>【1】 【2】</c> are one removal).</summary>
    private static List<(int Start, int End)> Merge(string text, List<(int Start, int End)> ranges)
    {
        ranges.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        var merged = new List<(int Start, int End)>();
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && OnlySpacesBetween(text, merged[^1].End, range.Start))
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, range.End));
            }
            else
            {
                merged.Add(range);
            }
        }

        return merged;
    }

    private static bool OnlySpacesBetween(string text, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (!IsSpace(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string Cut(string text, List<(int Start, int End)> ranges)
    {
        var output = new StringBuilder(text.Length);
        var position = 0;
        foreach (var (start, end) in ranges)
        {
            output.Append(text, position, start - position);
            position = end;

            var spacesAfter = 0;
            while (position + spacesAfter < text.Length && IsSpace(text[position + spacesAfter]))
            {
                spacesAfter++;
            }

            var spacesBefore = 0;
            while (spacesBefore < output.Length && IsSpace(output[output.Length - 1 - spacesBefore]))
            {
                spacesBefore++;
            }

            var next = position + spacesAfter;
            var atLineEnd = next >= text.Length || text[next] is '\n' or '\r';
            var atLineStart = output.Length - spacesBefore == 0 || output[output.Length - 1 - spacesBefore] is '\n' or '\r';
            if (atLineEnd || (next < text.Length && IsClosingPunctuation(text[next])))
            {
                // "word 【1】." → "word."; "word 【1】\n" → "word\n".
                output.Length -= spacesBefore;
                position = next;
            }
            else if (spacesBefore > 0 || atLineStart)
            {
                // "word 【1】 next" → "word next"; a line that started with a marker starts with its text.
                position = next;
            }
        }

        output.Append(text, position, text.Length - position);
        return output.ToString();
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\u00A0' or '\u3000';

    private static bool IsClosingPunctuation(char c) =>
        c is '.' or ',' or ';' or ':' or '!' or '?' or '…' or '。' or '，' or '、' or '；' or '：' or '！' or '？'
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ClosePunctuation or UnicodeCategory.FinalQuotePunctuation;

    /// <summary>A citation marker such as <c>【3:0†source】</c> or <c>【4†myfile.pdf】</c>.</summary>
    [GeneratedRegex("【[^【】\r\n]{0,200}†[^【】\r\n]{0,200}】", RegexOptions.CultureInvariant)]
    private static partial Regex StrayMarker();
}
