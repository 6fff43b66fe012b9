namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: who is calling, as the API authenticated them.</summary>
public interface ICurrentClient
{
    /// <summary>A stable identity of the caller of the current request: the authenticated client's name (an API key's
    /// configured name, or <c>entra:&lt;application id&gt;</c> for an Entra ID token), or the one shared anonymous identity
    /// when authentication is off. It decides which conversation threads the caller may continue or end.</summary>
    string Identity { get; }
}
