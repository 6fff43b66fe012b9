using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Agents;

/// <summary>Report the Agent Service's state for /health, without creating threads or spending tokens.</summary>
public sealed record CheckAgentService : IRequest<AgentServiceStatus>
{
    /// <summary>How long the probe may take before the service counts as unreachable.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
}

/// <summary>The Agent Service as /health reports it (<c>agent_service</c>).</summary>
public enum AgentServiceStatus
{
    /// <summary>No Agent Service endpoint is configured.</summary>
    NotConfigured,
    /// <summary>The Agent Service answers and knows the agent.</summary>
    Connected,
    /// <summary>The Agent Service refused our credentials.</summary>
    Unauthorized,
    /// <summary>The Agent Service answered but does not know the configured agent id.</summary>
    AgentNotFound,
    /// <summary>The Agent Service did not answer (in time), or failed.</summary>
    Unreachable,
}

public sealed class CheckAgentServiceHandler : IRequestHandler<CheckAgentService, AgentServiceStatus>
{
    private readonly IAgentGateway _agents;

    public CheckAgentServiceHandler(IAgentGateway agents) => _agents = agents;

    public async Task<AgentServiceStatus> Handle(CheckAgentService request, CancellationToken cancellationToken)
    {
        if (!_agents.IsConfigured)
        {
            return AgentServiceStatus.NotConfigured;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckAgentService.Timeout);
        try
        {
            await _agents.ProbeAsync(timeout.Token).ConfigureAwait(false);
            return AgentServiceStatus.Connected;
        }
        catch (UpstreamException ex)
        {
            return ex.Failure switch
            {
                UpstreamFailure.Authentication => AgentServiceStatus.Unauthorized,
                UpstreamFailure.NotFound => AgentServiceStatus.AgentNotFound,
                // A throttled service is up and accepted our credentials.
                UpstreamFailure.Throttled => AgentServiceStatus.Connected,
                _ => AgentServiceStatus.Unreachable,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AgentServiceStatus.Unreachable;
        }
    }
}

public static class AgentServiceStatusExtensions
{
    /// <summary>The snake_case value /health shows: <c>not_configured</c>, <c>connected</c>, <c>unauthorized</c>,
    /// <c>agent_not_found</c> or <c>unreachable</c>.</summary>
    public static string ToWireName(this AgentServiceStatus status) => status switch
    {
        AgentServiceStatus.NotConfigured => "not_configured",
        AgentServiceStatus.Connected => "connected",
        AgentServiceStatus.Unauthorized => "unauthorized",
        AgentServiceStatus.AgentNotFound => "agent_not_found",
        AgentServiceStatus.Unreachable => "unreachable",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
