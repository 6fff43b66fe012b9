using System.Globalization;
using System.Text;

namespace Wrapper.Domain.Agents;

/// <summary>
/// Removes citation markers such as <c>【3:0†source】</c> from an answer that arrives in pieces, the way
/// <see cref="CitationExtractor.RemoveMarkers"/> removes them from the whole text: text that may be the start of a marker
/// is held back until the marker closes (dropped) or can no longer be one (released), and the spaces around a removed
/// marker follow the same rules (one space kept between words, none before punctuation or a line end).
/// </summary>
/// <remarks>
/// <para>Feed each upstream delta to <see cref="Push"/> and send what it returns; call <see cref="Flush"/> once at the end.
/// The concatenated output, trimmed, equals <see cref="CitationExtractor.RemoveMarkers"/> of the concatenated input with no
/// annotations (markers are recognised by their shape, as stray markers are).</para>
/// <para>Spaces are held back too until the next visible character says whether they stay, so a delta that ends in a
/// space may come out without it; it follows with the next delta. Not thread-safe: one filter per stream.</para>
/// </remarks>
public sealed class StreamingMarkerFilter
{
    /// <summary>The longest text held back as a possible marker: <c>【</c>, up to 200 characters, <c>†</c>, up to 200
    /// characters, <c>】</c> (the shape <see cref="CitationExtractor"/> recognises).</summary>
    public const int MaxMarkerLength = 403;

    private const char Open = '【';
    private const char Close = '】';
    private const char Dagger = '†';

    private readonly StringBuilder _marker = new();
    private readonly StringBuilder _pendingSpaces = new();
    private readonly StringBuilder _spacesBefore = new();
    private readonly StringBuilder _spacesAfter = new();
    private bool _afterMarker;
    private bool _markerAtLineStart;
    private char? _lastEmitted;

    /// <summary>Takes the next piece of upstream text and returns the text that can be sent now (possibly empty).</summary>
    public string Push(string? delta)
    {
        if (string.IsNullOrEmpty(delta))
        {
            return string.Empty;
        }

        var output = new StringBuilder(delta.Length);
        foreach (var c in delta)
        {
            Take(c, output);
        }

        return output.ToString();
    }

    /// <summary>Ends the stream: returns what was held back and can still be sent (an unfinished marker is released as
    /// text, as <see cref="CitationExtractor"/> would keep it; spaces at the very end are dropped).</summary>
    public string Flush()
    {
        var output = new StringBuilder();
        if (_marker.Length > 0)
        {
            // Not a marker after all: "【" is text; what followed it is read again (it may hold another "【").
            ReleaseMarker(output);
        }

        // Spaces left at the end of the text go (the answer is trimmed), and so do those around a final marker.
        _pendingSpaces.Clear();
        _spacesBefore.Clear();
        _spacesAfter.Clear();
        _afterMarker = false;
        return output.ToString();
    }

    private void Take(char c, StringBuilder output)
    {
        if (_marker.Length > 0)
        {
            TakeInMarker(c, output);
            return;
        }

        if (IsSpace(c))
        {
            (_afterMarker ? _spacesAfter : _pendingSpaces).Append(c);
            return;
        }

        if (c == Open)
        {
            if (!_afterMarker)
            {
                // The spaces before a possible marker wait with it.
                _spacesBefore.Clear().Append(_pendingSpaces);
                _pendingSpaces.Clear();
                _markerAtLineStart = _lastEmitted is null or '\n' or '\r';
            }

            // After a removed marker, only spaces between two markers: they are removed as one (the spaces between go).
            _marker.Append(c);
            return;
        }

        Emit(c, output);
    }

    private void TakeInMarker(char c, StringBuilder output)
    {
        if (c == Close)
        {
            _marker.Append(c);
            if (IsMarker(_marker))
            {
                _marker.Clear();
                _spacesAfter.Clear();
                _afterMarker = true;
            }
            else
            {
                ReleaseMarker(output);
            }

            return;
        }

        if (c is Open or '\r' or '\n' || _marker.Length + 1 >= MaxMarkerLength)
        {
            // It cannot be a marker: release what was held and read this character again.
            ReleaseMarker(output);
            Take(c, output);
            return;
        }

        _marker.Append(c);
    }

    /// <summary>The held "【…" is not a marker: its "【" is text, and the rest is read again.</summary>
    private void ReleaseMarker(StringBuilder output)
    {
        var held = _marker.ToString();
        _marker.Clear();
        if (_afterMarker)
        {
            // The text after the removed marker starts with "【" (neither punctuation nor a line end).
            ResolveAfterMarker(held[0], output);
        }
        else
        {
            output.Append(_spacesBefore);
            _spacesBefore.Clear();
        }

        Emit(held[0], output);
        foreach (var c in held.AsSpan(1))
        {
            Take(c, output);
        }
    }

    private void Emit(char c, StringBuilder output)
    {
        if (_afterMarker)
        {
            ResolveAfterMarker(c, output);
        }
        else if (_pendingSpaces.Length > 0)
        {
            output.Append(_pendingSpaces);
            _pendingSpaces.Clear();
        }

        output.Append(c);
        _lastEmitted = c;
    }

    /// <summary>Which spaces around the removed marker stay, now that <paramref name="next"/> follows it (the rules of
    /// <see cref="CitationExtractor"/>): none before punctuation or a line end; the ones before it when there were any or
    /// the marker started a line; otherwise the ones after it.</summary>
    private void ResolveAfterMarker(char next, StringBuilder output)
    {
        if (next is '\n' or '\r' || IsClosingPunctuation(next))
        {
            // "word 【1】." → "word."
        }
        else if (_spacesBefore.Length > 0 || _markerAtLineStart)
        {
            // "word 【1】 next" → "word next"; a line that started with a marker starts with its text.
            output.Append(_spacesBefore);
        }
        else
        {
            // "word【1】 next" → "word next"
            output.Append(_spacesAfter);
        }

        _spacesBefore.Clear();
        _spacesAfter.Clear();
        _afterMarker = false;
    }

    /// <summary><c>【</c>, up to 200 characters without brackets or line breaks, <c>†</c>, up to 200 more, <c>】</c>.</summary>
    private static bool IsMarker(StringBuilder held)
    {
        var text = held.ToString(1, held.Length - 2);
        for (var dagger = text.IndexOf(Dagger); dagger >= 0; dagger = text.IndexOf(Dagger, dagger + 1))
        {
            if (dagger <= 200 && text.Length - dagger - 1 <= 200)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\u00A0' or '\u3000';

    private static bool IsClosingPunctuation(char c) =>
        c is '.' or ',' or ';' or ':' or '!' or '?' or '…' or '。' or '，' or '、' or '；' or '：' or '！' or '？'
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ClosePunctuation or UnicodeCategory.FinalQuotePunctuation;
}
