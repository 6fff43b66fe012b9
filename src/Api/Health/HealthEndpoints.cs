using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Wrapper.Api.Health;

/// <summary>Container Apps probes: <c>GET /health/live</c> (the process answers; nothing upstream) and
/// <c>GET /health/ready</c> (the upstreams; 200 when Healthy or Degraded, 503 when Unhealthy).</summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddHealthEndpoints(this IServiceCollection services)
    {
        services.AddSingleton<InstanceId>();
        services.AddScoped<HealthReportQuery>();
        services.AddHealthChecks()
            .AddCheck<AzureOpenAIReadinessCheck>("azure_openai", tags: [ReadyTag])
            .AddCheck<AgentServiceReadinessCheck>("agent_service", tags: [ReadyTag])
            .AddCheck<QuotaStoreReadinessCheck>("quota_store", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // The platform's probes carry no credentials: anonymous whatever the authentication settings.
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .AllowAnonymous()
            .ExcludeFromDescription();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .AllowAnonymous()
            .ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>The platform's liveness and readiness probes, which carry no key: always open, never rate limited.</summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health/live", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/health/ready", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>{"status":"healthy|degraded|unhealthy","checks":{"azure_openai":{"status","description"}},"simulated":[...]}</c>.
    /// The description of a healthy check is its mode (<c>connected</c>, <c>simulated</c>, ...) and is given to anyone;
    /// that of a degraded or unhealthy one is the upstream's failure in words (the adapters' safe messages: no keys, no
    /// upstream bodies), given to authenticated callers only: an anonymous caller (every probe) gets the status.
    /// <c>simulated</c> lists the sides answered by a simulator (<c>openai</c>, <c>agents</c>), empty when Azure answers
    /// both; it is no failure description and is given to anyone.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var authenticated = context.User.Identities.Any(i => i.IsAuthenticated);
        var body = new
        {
            status = Wire(report.Status),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => authenticated || e.Value.Status == HealthStatus.Healthy
                    ? (object)new { status = Wire(e.Value.Status), description = e.Value.Description }
                    : new { status = Wire(e.Value.Status) }),
            simulated = context.RequestServices.GetRequiredService<Simulation.SimulatedSides>().Names,
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }

    private static string Wire(HealthStatus status) => status.ToString().ToLowerInvariant();
}
