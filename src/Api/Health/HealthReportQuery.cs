using MediatR;
using Wrapper.Api.Contracts;
using Wrapper.Api.Simulation;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Health;

namespace Wrapper.Api.Health;

/// <summary>
/// The one health-report query, shared by <c>GET /health</c> (HealthController), the MCP <c>health</c> tool and
/// <c>/health/ready</c> (<see cref="AzureOpenAIReadinessCheck"/>, <see cref="AgentServiceReadinessCheck"/>), so that they
/// cannot disagree: the model service decides the answer (<see cref="CheckModelService"/>; its failure is an
/// <see cref="Application.Common.Exceptions.UpstreamException"/>), the Agent Service only informs
/// (<see cref="CheckAgentService"/>), and each side's state has one name (<c>connected</c>, <c>simulated</c>, ...), given
/// by the host's <see cref="SimulatedSides"/> (Application and Infrastructure do not know a simulator exists).
/// </summary>
public sealed class HealthReportQuery
{
    private readonly IMediator _mediator;
    private readonly SimulatedSides _simulated;

    public HealthReportQuery(IMediator mediator, SimulatedSides simulated)
    {
        _mediator = mediator;
        _simulated = simulated;
    }

    /// <summary>The whole report, as <c>GET /health</c> and the MCP tool give it: the model service first (a failure
    /// there is the answer, and the Agent Service is not asked), then the Agent Service, which never changes the status.</summary>
    public async Task<HealthResponse> GetAsync(CancellationToken cancellationToken)
    {
        var modelService = await ModelServiceAsync(cancellationToken);
        var agentService = await AgentServiceAsync(cancellationToken);
        return new HealthResponse { AzureOpenAi = modelService, AgentService = AgentServiceName(agentService) };
    }

    /// <summary>The model service's state: <c>connected</c> (Azure answered) or <c>simulated</c> (a simulator did).
    /// Throws <see cref="Application.Common.Exceptions.UpstreamException"/> when it cannot be used.</summary>
    public async Task<string> ModelServiceAsync(CancellationToken cancellationToken)
    {
        await _mediator.Send(new CheckModelService(), cancellationToken);
        return _simulated.OpenAIStatus;
    }

    /// <summary>The Agent Service's state (reads the configured agents: no thread, no tokens); never throws for an
    /// upstream failure, which is one of the states.</summary>
    public Task<AgentServiceStatus> AgentServiceAsync(CancellationToken cancellationToken) =>
        _mediator.Send(new CheckAgentService(), cancellationToken);

    /// <summary>The Agent Service state's name in every report (<c>simulated</c> for a connected simulator).</summary>
    public string AgentServiceName(AgentServiceStatus status) => _simulated.AgentServiceStatusOf(status);
}
