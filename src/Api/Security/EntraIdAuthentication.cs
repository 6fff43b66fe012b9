using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Wrapper.Api.Security;

/// <summary>Optional Entra ID bearer tokens (e.g. APIM's managed identity), accepted besides the client keys when
/// <c>Auth:EntraId:Authority</c> (e.g. https://login.microsoftonline.com/&lt;tenant&gt;/v2.0) and
/// <c>Auth:EntraId:Audience</c> (the app id URI or client id) are both set. The principal's name is
/// <c>entra:&lt;azp|appid|sub&gt;</c>; a token never makes its holder the gateway.</summary>
public static class EntraIdAuthentication
{
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["Auth:EntraId:Authority"]) && !string.IsNullOrWhiteSpace(configuration["Auth:EntraId:Audience"]);

    /// <summary>Adds the JWT bearer scheme when Entra ID is configured.</summary>
    public static AuthenticationBuilder AddEntraIdTokens(this AuthenticationBuilder builder, IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
        {
            return builder;
        }

        return builder.AddJwtBearer(Scheme, options =>
        {
            options.Authority = configuration["Auth:EntraId:Authority"];
            options.Audience = configuration["Auth:EntraId:Audience"];
            options.MapInboundClaims = false;
            // Challenges and refusals are answered by the key scheme (401/403 ProblemDetails), for tokens too.
            options.ForwardChallenge = ApiKeyAuthentication.Scheme;
            options.ForwardForbid = ApiKeyAuthentication.Scheme;
            options.Events = new JwtBearerEvents { OnTokenValidated = context => NameClient(context.Principal) };
        });
    }

    /// <summary>True when <paramref name="value"/> has the shape of a compact JWS (three non-empty dot-separated parts).</summary>
    public static bool LooksLikeJwt(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split('.');
        return parts.Length == 3 && parts.All(p => p.Length > 0);
    }

    /// <summary>Names the client <c>entra:&lt;azp|appid|sub&gt;</c> in <see cref="ClaimTypes.Name"/>, replacing any such claim
    /// (or <see cref="ClientIdentity.GatewayClaim"/>) the token itself might carry.</summary>
    private static Task NameClient(ClaimsPrincipal? principal)
    {
        if (principal?.Identity is not ClaimsIdentity identity)
        {
            return Task.CompletedTask;
        }

        foreach (var claim in identity.Claims.Where(c => c.Type is ClaimTypes.Name or ClientIdentity.GatewayClaim).ToList())
        {
            identity.RemoveClaim(claim);
        }

        var client = identity.FindFirst("azp")?.Value ?? identity.FindFirst("appid")?.Value ?? identity.FindFirst("sub")?.Value ?? "unknown";
        identity.AddClaim(new Claim(ClaimTypes.Name, "entra:" + client));
        return Task.CompletedTask;
    }
}
