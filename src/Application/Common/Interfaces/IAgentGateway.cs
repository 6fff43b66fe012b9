using Wrapper.Domain.Agents;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: the Azure AI Foundry Agent Service agents (or the simulator's), reached by name.</summary>
/// <remarks>
/// Implementations throw <see cref="Exceptions.UpstreamException"/> for every upstream failure; nothing else
/// may escape, except <see cref="OperationCanceledException"/> when the caller's token is cancelled.
/// </remarks>
public interface IAgentGateway
{
    /// <summary>The names of the agents this gateway knows (configured or not), for example <c>bing-grounding</c>.</summary>
    IReadOnlyCollection<string> AgentNames { get; }

    /// <summary>Where agent answers come from, or null when no Agent Service (real or simulated) is configured.</summary>
    UpstreamMode? Mode { get; }

    /// <summary>Asks the named agent. Deletes the thread afterwards unless <see cref="AgentQuestion.KeepThread"/>.</summary>
    Task<AgentAnswer> AskAsync(string agentName, AgentQuestion question, CancellationToken cancellationToken);

    /// <summary>Checks that the Agent Service answers and knows the main agent, without creating threads or
    /// spending tokens. Returns normally when it does; throws <see cref="Exceptions.UpstreamException"/> otherwise.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
