using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Health;

/// <summary>Azure OpenAI for /health/ready, from the same query as GET /health (<see cref="HealthReportQuery"/>: the
/// breakers, then the cached probe; no tokens).
/// Throttling is <b>Degraded</b> (200): the quota is shared by every instance, so failing readiness would drop them all
/// at once. Authentication, missing deployment, unavailable and timeout are <b>Unhealthy</b> (503).</summary>
public sealed class AzureOpenAIReadinessCheck : IHealthCheck
{
    private readonly HealthReportQuery _health;

    public AzureOpenAIReadinessCheck(HealthReportQuery health) => _health = health;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return HealthCheckResult.Healthy(await _health.ModelServiceAsync(cancellationToken));
        }
        catch (UpstreamException ex) when (ex.Failure == UpstreamFailure.Throttled)
        {
            return HealthCheckResult.Degraded(ex.Message);
        }
        catch (UpstreamException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}

/// <summary>The Agent Service for /health/ready, from the same query as GET /health (<see cref="HealthReportQuery"/>):
/// informational there, so a failing Agent Service is
/// <b>Degraded</b> (200; /completion and /chat still work), never Unhealthy.</summary>
public sealed class AgentServiceReadinessCheck : IHealthCheck
{
    private readonly HealthReportQuery _health;

    public AgentServiceReadinessCheck(HealthReportQuery health) => _health = health;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await _health.AgentServiceAsync(cancellationToken);
        var name = _health.AgentServiceName(status);
        return status is AgentServiceStatus.Connected or AgentServiceStatus.NotConfigured
            ? HealthCheckResult.Healthy(name)
            : HealthCheckResult.Degraded(name);
    }
}

/// <summary>Where the per-client quota counters live, for /health/ready: <b>Healthy</b> <c>redis</c> (shared by every
/// instance) or <c>memory</c> (no Redis configured: this instance only); <b>Degraded</b> <c>memory-fallback</c> (200) when
/// Redis is configured but unreachable or slow: requests still flow, each instance counting on its own until it answers.</summary>
public sealed class QuotaStoreReadinessCheck : IHealthCheck
{
    private readonly Application.Common.Interfaces.IQuotaStoreState _state;

    public QuotaStoreReadinessCheck(Application.Common.Interfaces.IQuotaStoreState state) => _state = state;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_state.Degraded ? HealthCheckResult.Degraded(_state.Store) : HealthCheckResult.Healthy(_state.Store));
}
