using System.Security.Claims;

namespace Wrapper.Api.Security;

/// <summary>Who the caller of a request is, as authentication left it (the principal the schemes made): the one place
/// that reads it, for rate limits, thread ownership (<c>ICurrentClient</c>) and trusting the gateway's headers.</summary>
public static class ClientIdentity
{
    /// <summary>The identity of every caller when authentication is off (no client key and no Entra ID configured): all
    /// anonymous callers are one client, so they share their conversation threads.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>Claim set to <c>"true"</c> on the principal of a key configured as the gateway's
    /// (<see cref="ApiKeyEntry.Gateway"/>).</summary>
    public const string GatewayClaim = "wrapper:gateway";

    /// <summary>The authenticated client's name (an API key's configured name, or <c>entra:&lt;application id&gt;</c>),
    /// or <see cref="Anonymous"/> when the request was not authenticated (authentication off, or an open route).</summary>
    public static string Name(HttpContext context) => AuthenticatedName(context) ?? Anonymous;

    /// <summary>The authenticated client's name (<see cref="ClaimTypes.Name"/> of the authenticated identity), or null
    /// for an anonymous caller: for uses that must tell "anonymous" apart, such as the rate limiter (which then counts
    /// the caller by address).</summary>
    public static string? AuthenticatedName(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.User.Identities.FirstOrDefault(i => i.IsAuthenticated)?.FindFirst(ClaimTypes.Name)?.Value is { Length: > 0 } name
            ? name
            : null;
    }

    /// <summary>True when the caller authenticated with a key configured as the gateway's, so that headers the gateway
    /// sets (e.g. the subscriber's identity) may be believed. Only the API-key scheme can grant it.</summary>
    public static bool IsGateway(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.User.Identities.Any(i =>
            i.IsAuthenticated
            && i.AuthenticationType == ApiKeyAuthentication.Scheme
            && i.HasClaim(GatewayClaim, "true"));
    }

}
