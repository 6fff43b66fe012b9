using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Wrapper.Api.Errors;

namespace Wrapper.Api.Security;

/// <summary>Requires a client key (or, when configured, an Entra ID token) on every route except the probes; answers 401 ProblemDetails without one
/// (also on <c>/mcp</c>, where HTTP 401 is the protocol's own "unauthorized").</summary>
public sealed class ApiKeyMiddleware
{
    /// <summary><c>HttpContext.Items</c> key of the authenticated client's name (used to partition rate limits).</summary>
    public const string ClientItem = "Wrapper.ApiClient";

    private readonly RequestDelegate _next;
    private readonly ApiKeyAuthenticator _authenticator;
    private readonly bool _anonymousHealth;
    private readonly bool _entraId;

    public ApiKeyMiddleware(RequestDelegate next, ApiKeyAuthenticator authenticator, IOptions<ApiKeyOptions> options, IConfiguration configuration)
    {
        _entraId = EntraIdAuthentication.IsConfigured(configuration);
        _next = next;
        _authenticator = authenticator;
        _anonymousHealth = options.Value.AllowAnonymousHealth;
    }

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problemDetails)
    {
        if (!(_authenticator.Enabled || _entraId) || IsOpen(context.Request.Path))
        {
            await _next(context);
            return;
        }

        var presented = ApiKeyAuthenticator.PresentedKey(context.Request);
        if (_authenticator.Authenticate(presented) is { } client)
        {
            context.Items[ClientItem] = client.Name;
            if (client.Gateway)
            {
                context.Items[ClientPartition.GatewayItem] = true;
            }

            await _next(context);
            return;
        }

        if (presented is not null && await EntraIdAuthentication.AuthenticateAsync(context) is { } tokenClient)
        {
            context.Items[ClientItem] = tokenClient;
            await _next(context);
            return;
        }

        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            Title = "A valid API key is required",
            Detail = presented is null
                ? "Send your key in the 'api-key' header or as 'Authorization: Bearer <key>'."
                : "The API key is not valid.",
        };
        problem.Extensions["code"] = presented is null ? "missing_api_key" : "invalid_api_key";
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        context.Response.Headers[WrapperHeaders.Refusal] = WrapperHeaders.ClientRefusal;
        await problemDetails.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    private bool IsOpen(PathString path) =>
        IsProbe(path) || (_anonymousHealth && path.Equals("/health", StringComparison.OrdinalIgnoreCase));

    /// <summary>The platform's liveness and readiness probes, which carry no key: always open, never rate limited.</summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health/live", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/health/ready", StringComparison.OrdinalIgnoreCase);
}
