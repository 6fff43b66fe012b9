namespace Wrapper.Domain.Agents;

/// <summary>A numbered source backing an agent answer.</summary>
/// <param name="Id">1-based number, in the order the sources first appear in the answer.</param>
/// <param name="Type">Web page or file.</param>
/// <param name="Url">The page address (for <see cref="CitationType.Url"/>) or the file id (for <see cref="CitationType.File"/>).</param>
/// <param name="Title">A readable title; falls back to the url when the service gave none.</param>
/// <param name="Quote">The quoted passage, when the service gave one (file citations).</param>
public sealed record Citation(int Id, CitationType Type, string Url, string Title, string? Quote = null);
