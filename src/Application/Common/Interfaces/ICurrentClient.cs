namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: who is calling, as the API authenticated them.</summary>
public interface ICurrentClient
{
    /// <summary>A stable identity of the caller of the current request: the authenticated client's name (an API key's
    /// configured name, or <c>entra:&lt;application id&gt;</c> for an Entra ID token), or the one shared anonymous identity
    /// when authentication is off. It decides which conversation threads the caller may continue or end.</summary>
    string Identity { get; }

    /// <summary>Who the caller counts as for per-client limits: <c>subscriber:&lt;id&gt;</c> (an APIM subscriber a gateway
    /// key vouches for), <c>client:&lt;name&gt;</c> (an authenticated client), else <c>ip:&lt;address&gt;</c>.</summary>
    string Partition { get; }
}
