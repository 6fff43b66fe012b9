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
    private readonly Simulation.SimulatedSides _simulated;

    public AzureOpenAIReadinessCheck(IMediator mediator, Simulation.SimulatedSides simulated)
    {
        _mediator = mediator;
        _simulated = simulated;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await _mediator.Send(new CheckHealth(), cancellationToken);
            return HealthCheckResult.Healthy(_simulated.OpenAIStatus);
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
    private readonly Simulation.SimulatedSides _simulated;

    public AgentServiceReadinessCheck(IMediator mediator, Simulation.SimulatedSides simulated)
    {
        _mediator = mediator;
        _simulated = simulated;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await _mediator.Send(new CheckAgentService(), cancellationToken);
        return status is AgentServiceStatus.Connected or AgentServiceStatus.NotConfigured
            ? HealthCheckResult.Healthy(_simulated.AgentServiceStatusOf(status))
            : HealthCheckResult.Degraded(_simulated.AgentServiceStatusOf(status));
    }
}
