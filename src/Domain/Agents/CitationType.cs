namespace Wrapper.Domain.Agents;

/// <summary>What a citation points at: a web page (Bing grounding) or an uploaded file.</summary>
public enum CitationType
{
    Url,
    File,
}
