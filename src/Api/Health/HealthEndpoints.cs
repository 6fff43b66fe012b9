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
        services.AddHealthChecks()
            .AddCheck<AzureOpenAIReadinessCheck>("azure_openai", tags: [ReadyTag])
            .AddCheck<AgentServiceReadinessCheck>("agent_service", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .ExcludeFromDescription();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .ExcludeFromDescription();
        return endpoints;
    }

    /// <summary><c>{"status":"healthy|degraded|unhealthy","checks":{"azure_openai":{"status","description"}},"simulated":[...]}</c>;
    /// descriptions are the adapters' safe messages (no keys, no upstream bodies); <c>simulated</c> lists the sides
    /// answered by a simulator (<c>openai</c>, <c>agents</c>), empty when Azure answers both.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
            simulated = context.RequestServices.GetRequiredService<Simulation.SimulatedSides>().Names,
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
