namespace Wrapper.Domain.Agents;

/// <summary>
/// One annotation the Agent Service attached to an answer's text: which inline marker (for example
/// <c>【3:0†source】</c>) stands for which source.
/// </summary>
/// <param name="Kind">A web page (<c>url_citation</c>) or an uploaded file (<c>file_citation</c>).</param>
/// <param name="Marker">The marker text as it appears in the answer; may be empty when the service sent none.</param>
/// <param name="StartIndex">Where the marker starts in the text, when the service said.</param>
/// <param name="EndIndex">Where the marker ends (exclusive), when the service said.</param>
/// <param name="Source">The page address (url citations) or the file id (file citations).</param>
/// <param name="Title">The page title, when the service gave one.</param>
/// <param name="Quote">The quoted passage of a file, when the service gave one.</param>
/// <remarks>
/// Indexes are trusted only when the text at that range is the marker (either as UTF-16 code units, as .NET
/// counts, or as Unicode code points, as the service's Python-based tooling may count). Otherwise the marker is
/// found by its text.
/// </remarks>
public sealed record TextAnnotation(
    CitationType Kind,
    string Marker,
    int? StartIndex,
    int? EndIndex,
    string Source,
    string? Title = null,
    string? Quote = null);
