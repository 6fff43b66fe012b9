using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Wrapper.Api.Errors;
using Wrapper.Api.Health;

namespace Wrapper.Api.Security;

/// <summary>Client keys (an authentication scheme), per-client rate limits and CORS (closed unless <c>Cors:AllowedOrigins</c> is set).</summary>
public static class SecurityServiceCollectionExtensions
{
    public const string CorsPolicy = "configured";

    public static IServiceCollection AddApiSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        // Every configured key must be usable, or the host does not start (the message names the entry).
        services.AddOptions<ApiKeyOptions>()
            .Bind(configuration.GetSection(ApiKeyOptions.SectionName))
            .Configure(options => options.ApiKeys = ApiKeyOptions.ReadConfigured(configuration.GetSection($"{ApiKeyOptions.SectionName}:ApiKeys")))
            .PostConfigure(options => options.ApiKeys.AddRange(ApiKeyOptions.ParseEnvironment(configuration[ApiKeyOptions.EnvironmentKey])))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>>(new ApiKeyOptionsValidator(configuration));
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddApiAuthentication(configuration);

        // X-Forwarded-For is believed only from the proxies configured as trusted (none by default).
        services.Configure<ForwardedHeadersOptions>(options => TrustedProxies.Configure(options, configuration));

        services.AddOptions<ClientRateLimitOptions>().Bind(configuration.GetSection(ClientRateLimitOptions.SectionName));
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (HealthEndpoints.IsProbe(context.Request.Path))
                {
                    return RateLimitPartition.GetNoLimiter("probe");
                }

                var limits = context.RequestServices.GetRequiredService<IOptions<ClientRateLimitOptions>>().Value;
                if (limits.PermitLimit <= 0)
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                // By APIM subscriber (from a gateway's key only), else by the authenticated client's name, else by its
                // address (a trusted proxy's X-Forwarded-For already applied by the forwarded-headers middleware;
                // never the header of an untrusted sender).
                var client = ClientPartition.Resolve(context);
                return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitLimit,
                    Window = TimeSpan.FromSeconds(Math.Max(1, limits.WindowSeconds)),
                    QueueLimit = 0,
                });
            });
            // A client over its own limit: a client refusal with the limiter's wait (1 s when it names none).
            options.OnRejected = (context, _) => new ValueTask(ApiProblem.ClientRefusal(
                StatusCodes.Status429TooManyRequests, ProblemCodes.ClientRateLimited, "Too many requests",
                "This client sent more requests than its limit allows; retry after the indicated delay.",
                context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1))
                .WriteAsync(context.HttpContext));
        });

        var origins = (configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? []).Where(o => !string.IsNullOrWhiteSpace(o)).ToArray();
        services.AddCors(options => options.AddPolicy(CorsPolicy, policy =>
        {
            if (origins.Length > 0)
            {
                policy.WithOrigins(origins).AllowAnyHeader().WithMethods("GET", "POST", "DELETE")
                    .WithExposedHeaders("Mcp-Session-Id", "Retry-After", "X-Correlation-Id", WrapperHeaders.Refusal,
                        Errors.QuotaResponses.RemainingRequests, Errors.QuotaResponses.RemainingTokens);
            }
        }));

        return services;
    }

    /// <summary>The authentication schemes (client keys, Entra ID tokens when configured, and the default scheme that
    /// picks between them) and the authorization policies: when any credential is configured, the fallback policy
    /// requires an authenticated client on every route and document that does not say otherwise (the probes are
    /// <c>AllowAnonymous</c>, <c>GET /health</c> follows <see cref="HealthPolicy"/>); with none, the service is open.</summary>
    public static IServiceCollection AddApiAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var entraId = EntraIdAuthentication.IsConfigured(configuration);
        services.AddAuthentication(ApiKeyAuthentication.ClientScheme)
            .AddPolicyScheme(ApiKeyAuthentication.ClientScheme, "API key or Entra ID token", options =>
            {
                options.ForwardDefaultSelector = context => ApiKeyAuthentication.SelectScheme(context, entraId);
                options.ForwardChallenge = ApiKeyAuthentication.Scheme;
                options.ForwardForbid = ApiKeyAuthentication.Scheme;
            })
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthentication.Scheme, "API key", _ => { })
            .AddEntraIdTokens(configuration);

        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<ApiKeyAuthenticator, IOptions<ApiKeyOptions>>((options, authenticator, keys) =>
        {
            var required = authenticator.Enabled || entraId;
            var authenticated = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
            var anyone = new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();
            options.FallbackPolicy = required ? authenticated : null;
            options.AddPolicy(HealthPolicy, required && !keys.Value.AllowAnonymousHealth ? authenticated : anyone);
        });
        return services;
    }

    /// <summary>The policy of <c>GET /health</c>: an authenticated client, unless <c>Auth:AllowAnonymousHealth</c> is true
    /// or no credential is configured.</summary>
    public const string HealthPolicy = "health";

    /// <summary>The client address from a trusted proxy (when one is configured), CORS, then authentication and
    /// authorization, then the rate limiter (which partitions by the authenticated client, else by that address).</summary>
    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        if (TrustedProxies.AreConfigured(app.Configuration))
        {
            app.UseForwardedHeaders();
        }

        var authenticator = app.Services.GetRequiredService<ApiKeyAuthenticator>();
        if (!authenticator.Enabled && !EntraIdAuthentication.IsConfigured(app.Configuration))
        {
            app.Logger.LogWarning("No API keys are configured (Auth:ApiKeys or API_KEYS): every route, /mcp included, is open to anyone who can reach this service.");
        }

        app.UseCors(CorsPolicy);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseClientPartition();
        app.UseRateLimiter();
        return app;
    }
}

/// <summary>Per-client request limits (<c>RateLimiting:PermitLimit</c> requests per <c>RateLimiting:WindowSeconds</c>).</summary>
public sealed class ClientRateLimitOptions
{
    public const string SectionName = "RateLimiting";

    /// <summary>Requests per window per client (by APIM subscriber behind a gateway's key, else by key name, else by
    /// IP: the one a trusted proxy forwarded; see <see cref="ClientPartition"/>); 0 turns the limit off. Default 120. /health/live and /health/ready are never limited.</summary>
    public int PermitLimit { get; set; } = 120;

    /// <summary>Window length in seconds. Default 60.</summary>
    public int WindowSeconds { get; set; } = 60;
}
