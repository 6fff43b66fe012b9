using MediatR;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Health;

namespace Wrapper.Api.Health;

/// <summary>Azure OpenAI for /health/ready, from the same breakers-plus-cached-probe as GET /health (no tokens).
/// Throttling is <b>Degraded</b> (200): the quota is shared by every instance, so failing readiness would drop them all
/// at once. Authentication, missing deployment, unavailable and timeout are <b>Unhealthy</b> (503).</summary>
public sealed class AzureOpenAIReadinessCheck : IHealthCheck
{
    private readonly IMediator _mediator;

    public AzureOpenAIReadinessCheck(IMediator mediator) => _mediator = mediator;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var mode = await _mediator.Send(new CheckHealth(), cancellationToken);
            return HealthCheckResult.Healthy(mode == Application.Common.Interfaces.UpstreamMode.Simulated ? "simulated" : "connected");
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

/// <summary>The Agent Service for /health/ready: informational as in GET /health, so a failing Agent Service is
/// <b>Degraded</b> (200; /completion and /chat still work), never Unhealthy.</summary>
public sealed class AgentServiceReadinessCheck : IHealthCheck
{
    private readonly IMediator _mediator;

    public AgentServiceReadinessCheck(IMediator mediator) => _mediator = mediator;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await _mediator.Send(new CheckAgentService(), cancellationToken);
        return status is AgentServiceStatus.Connected or AgentServiceStatus.Simulated or AgentServiceStatus.NotConfigured
            ? HealthCheckResult.Healthy(status.ToWireName())
            : HealthCheckResult.Degraded(status.ToWireName());
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
