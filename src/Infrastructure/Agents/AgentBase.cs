using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// An agent of the Azure AI Foundry Agent Service: a name (how callers pick it), the project endpoint and the agent id
/// (from <c>Agents:&lt;name&gt;:AgentId</c>), and one operation, <see cref="AskAsync"/>.
/// </summary>
/// <remarks>
/// Adding an agent is one class deriving from this one plus its agent id in configuration: classes in this assembly
/// are found by <see cref="AgentServiceCollectionExtensions.AddAgents"/>; others are added with
/// <see cref="AgentServiceCollectionExtensions.AddAgent{TAgent}"/>. A derived class decides what its answer is made of,
/// usually by calling <see cref="RunAsync"/> and shaping the reply with <see cref="CitationExtractor"/>.
/// </remarks>
public abstract class AgentBase
{
    private readonly AgentThreadRunner _runner;

    protected AgentBase(string name, AgentThreadRunner runner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(runner);
        Name = name;
        _runner = runner;
    }

    /// <summary>How callers and configuration name this agent, for example <c>bing-grounding</c>.</summary>
    public string Name { get; }

    /// <summary>The project endpoint, or null when no Agent Service is configured.</summary>
    public Uri? Endpoint => _runner.Options.Endpoint;

    /// <summary>The agent id configured for <see cref="Name"/>, or null.</summary>
    public string? AgentId => _runner.Options.AgentIdOf(Name);

    /// <summary>True when both the endpoint and the agent id are configured.</summary>
    public bool IsConfigured => Endpoint is not null && AgentId is not null;

    /// <summary>Asks the agent.</summary>
    /// <exception cref="UpstreamException">Every failure, including "not configured" (Unavailable).</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public abstract Task<AgentAnswer> AskAsync(AgentQuestion question, CancellationToken cancellationToken);

    /// <summary>Runs the question on a thread of this agent and returns the raw reply (the thread lifecycle of
    /// <see cref="AgentThreadRunner"/>).</summary>
    protected Task<AgentReply> RunAsync(AgentQuestion question, CancellationToken cancellationToken)
    {
        if (Endpoint is null)
        {
            throw new UpstreamException(UpstreamFailure.Unavailable,
                $"No Agent Service is configured: set {AgentServiceOptions.EndpointKey}.");
        }

        if (AgentId is not { } agentId)
        {
            throw new UpstreamException(UpstreamFailure.Unavailable,
                $"The agent '{Name}' is not configured: set {AgentServiceOptions.AgentsSectionName}:{Name}:AgentId" +
                (Name == Application.Grounding.AskGroundedQuestion.AgentName ? $" (or {AgentServiceOptions.AgentIdKey})." : "."));
        }

        return _runner.RunAsync(agentId, question, cancellationToken);
    }
}
