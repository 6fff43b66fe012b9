using System.Security.Claims;

namespace Wrapper.Api.Security;

/// <summary>Who the authenticated caller is, read from the principal the authentication schemes made: the one place
/// the rest of the service (rate limits, logs, thread ownership) asks.</summary>
public static class ClientIdentity
{
    /// <summary>Claim set to <c>"true"</c> on the principal of a key configured as the gateway's
    /// (<see cref="ApiKeyEntry.Gateway"/>).</summary>
    public const string GatewayClaim = "wrapper:gateway";

    /// <summary>The authenticated client's name (the key's name, or <c>entra:&lt;azp&gt;</c> for an Entra ID token);
    /// null for an anonymous caller (no key configured, or an anonymous route such as the probes).</summary>
    public static string? Name(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.User.Identities.FirstOrDefault(i => i.IsAuthenticated) is { } identity
            ? identity.FindFirst(ClaimTypes.Name)?.Value
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
