using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Wrapper.Api.Errors;
using Microsoft.Net.Http.Headers;

namespace Wrapper.Api.Security;

/// <summary>The authentication schemes: <see cref="Scheme"/> (client keys), the Entra ID bearer scheme when configured
/// (<see cref="EntraIdAuthentication"/>), and <see cref="ClientScheme"/>, the default, which forwards each request to
/// the one its credentials are for and always answers a challenge as <see cref="Scheme"/> does (401 ProblemDetails).</summary>
public static class ApiKeyAuthentication
{
    /// <summary>The client-key scheme (<c>api-key</c> header or <c>Authorization: Bearer &lt;key&gt;</c>).</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The default scheme: a key or, when configured, an Entra ID token.</summary>
    public const string ClientScheme = "Client";

    public const string MissingKeyCode = "missing_api_key";
    public const string InvalidKeyCode = "invalid_api_key";
    public const string ForbiddenCode = "forbidden";

    /// <summary>Which scheme reads this request: the key scheme, unless Entra ID is configured and the bearer value has a
    /// JWT's shape and is not a configured key (so a key is always tried first, as a token cannot be a key).</summary>
    public static string SelectScheme(HttpContext context, bool entraId)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!entraId || context.Request.Headers[ApiKeyAuthenticator.ApiKeyHeader].ToString().Length > 0)
        {
            return Scheme;
        }

        var presented = ApiKeyAuthenticator.PresentedKey(context.Request);
        return presented is not null
               && EntraIdAuthentication.LooksLikeJwt(presented)
               && context.RequestServices.GetRequiredService<ApiKeyAuthenticator>().Authenticate(presented) is null
            ? EntraIdAuthentication.Scheme
            : Scheme;
    }
}

/// <summary>Options of <see cref="ApiKeyAuthenticationHandler"/> (the keys themselves are <see cref="ApiKeyOptions"/>).</summary>
public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>Authenticates a client key against the configured ones (constant-time digest comparison, see
/// <see cref="ApiKeyAuthenticator"/>). The principal carries the client's name (<see cref="ClaimTypes.Name"/>) and, for
/// the gateway's key, <see cref="ClientIdentity.GatewayClaim"/>. Challenges and refusals are RFC 9457 ProblemDetails.</summary>
public sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<ApiKeyAuthenticationOptions>
{
    private readonly ApiKeyAuthenticator _authenticator;

    public ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyAuthenticator authenticator)
        : base(options, logger, encoder) => _authenticator = authenticator;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // No key configured: nobody is authenticated by key (the service is open unless Entra ID is on).
        if (!_authenticator.Enabled || ApiKeyAuthenticator.PresentedKey(Request) is not { } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (_authenticator.Authenticate(presented) is not { } client)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, client.Name) };
        if (client.Gateway)
        {
            claims.Add(new Claim(ClientIdentity.GatewayClaim, "true"));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthentication.Scheme));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    /// <summary>401 <c>missing_api_key</c> (nothing sent) or <c>invalid_api_key</c> (a key or token that did not
    /// authenticate), with <c>WWW-Authenticate: Bearer</c>; the presented value is never echoed. A client refusal
    /// (<see cref="ApiProblem.ClientRefusal"/>): the instance is healthy.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        var missing = ApiKeyAuthenticator.PresentedKey(Request) is null;
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return ApiProblem.ClientRefusal(StatusCodes.Status401Unauthorized,
            missing ? ApiKeyAuthentication.MissingKeyCode : ApiKeyAuthentication.InvalidKeyCode,
            "A valid API key is required",
            missing ? "Send your key in the 'api-key' header or as 'Authorization: Bearer <key>'." : "The API key is not valid.")
            .WriteAsync(Context);
    }

    /// <summary>403 <c>forbidden</c>: authenticated, but a policy refuses this client (a client refusal too).</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblem.ClientRefusal(StatusCodes.Status403Forbidden, ApiKeyAuthentication.ForbiddenCode,
            "This client may not use this route", "The credentials are valid, but they do not allow this request.")
            .WriteAsync(Context);
}
