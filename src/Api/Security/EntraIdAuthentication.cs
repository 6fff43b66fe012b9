using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Wrapper.Api.Security;

/// <summary>Optional Entra ID bearer tokens (e.g. APIM's managed identity), accepted besides the client keys when
/// <c>Auth:EntraId:Authority</c> (e.g. https://login.microsoftonline.com/&lt;tenant&gt;/v2.0) and
/// <c>Auth:EntraId:Audience</c> (the app id URI or client id) are both set.</summary>
public static class EntraIdAuthentication
{
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["Auth:EntraId:Authority"]) && !string.IsNullOrWhiteSpace(configuration["Auth:EntraId:Audience"]);

    public static IServiceCollection AddEntraIdTokens(this IServiceCollection services, IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
        {
            return services;
        }

        services.AddAuthentication().AddJwtBearer(Scheme, options =>
        {
            options.Authority = configuration["Auth:EntraId:Authority"];
            options.Audience = configuration["Auth:EntraId:Audience"];
            options.MapInboundClaims = false;
        });
        return services;
    }

    /// <summary>The token's client (<c>azp</c>/<c>appid</c>/<c>sub</c>) when a valid Entra ID token was sent; else null.</summary>
    public static async Task<string?> AuthenticateAsync(HttpContext context)
    {
        if (!IsConfigured(context.RequestServices.GetRequiredService<IConfiguration>()))
        {
            return null;
        }

        var result = await context.AuthenticateAsync(Scheme);
        if (!result.Succeeded)
        {
            return null;
        }

        context.User = result.Principal;
        var principal = result.Principal;
        return "entra:" + (principal.FindFirst("azp")?.Value ?? principal.FindFirst("appid")?.Value ?? principal.FindFirst("sub")?.Value ?? "unknown");
    }
}
