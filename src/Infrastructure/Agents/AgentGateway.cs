using System.Runtime.CompilerServices;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The <see cref="IAgentGateway"/> port over the registered <see cref="AgentBase"/> agents, each on the protocol
/// its configuration names (classic threads and runs, or the new conversations and responses).</summary>
public sealed class AgentGateway : IAgentGateway
{
    private readonly Dictionary<string, AgentBase> _agents;
    private readonly AgentServiceClient? _client;
    private readonly AgentRunners _runners;

    public AgentGateway(IEnumerable<AgentBase> agents, OptionalAgentServiceClient client, AgentRunners runners)
    {
        _runners = runners;
        _agents = new Dictionary<string, AgentBase>(StringComparer.OrdinalIgnoreCase);
        foreach (var agent in agents)
        {
            if (!_agents.TryAdd(agent.Name, agent))
            {
                throw new InvalidOperationException($"Two agents are named '{agent.Name}'.");
            }
        }

        _client = client.Client;
    }

    public IReadOnlyCollection<string> AgentNames => _agents.Keys;

    public bool IsConfigured => _client is not null;

    /// <summary>The agent's configured protocol; an agent without an entry yet counts as new (the default).</summary>
    public AgentProtocol? ProtocolOf(string agentName) =>
        _agents.TryGetValue(agentName, out var agent) ? agent.Protocol : null;

    public Task<AgentAnswer> AskAsync(string agentName, AgentQuestion question, CancellationToken cancellationToken) =>
        _agents.TryGetValue(agentName, out var agent)
            ? agent.AskAsync(question, cancellationToken)
            : throw NoSuchAgent(agentName);

    public async IAsyncEnumerable<AgentStreamUpdate> StreamAsync(string agentName, AgentQuestion question,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var agent = _agents.GetValueOrDefault(agentName) ?? throw NoSuchAgent(agentName);
        await foreach (var update in agent.StreamAsync(question, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>Reads the owner tag the conversation's metadata recorded at creation (<c>GET /openai/v1/conversations/{id}</c>).</summary>
    public Task<string?> GetConversationOwnerAsync(string conversationId, CancellationToken cancellationToken) =>
        _runners.Responses.GetOwnerAsync(conversationId, cancellationToken);

    /// <summary>Reads the owner tag the thread's metadata recorded at creation (<c>GET /threads/{threadId}</c>).</summary>
    public Task<string?> GetThreadOwnerAsync(string threadId, CancellationToken cancellationToken) =>
        _runners.Classic.GetThreadOwnerAsync(threadId, cancellationToken);

    /// <summary>Reads each configured agent without running it, the Bing grounding agent first: classic ones by
    /// <c>GET /assistants/{id}</c>, new ones by <c>GET /agents/{name}</c> (or <c>/agents/{name}/versions/{version}</c>).
    /// With none configured, lists one classic agent to prove the service and our credentials.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var client = _client ?? throw new UpstreamException(UpstreamFailure.Unavailable, "No Agent Service is configured.");
        var targets = _agents.Values
            .OrderBy(a => a.Name == AskGroundedQuestion.AgentName ? 0 : 1)
            .Select(a => a.Target)
            .OfType<AgentTarget>()
            .DistinctBy(t => (t.Protocol, t.Reference, t.Version))
            .ToList();
        if (targets.Count == 0)
        {
            await client.ListAgentsAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var target in targets)
        {
            await _runners.For(target.Protocol).ProbeAsync(target, cancellationToken).ConfigureAwait(false);
        }
    }

    private static UpstreamException NoSuchAgent(string agentName) =>
        new(UpstreamFailure.NotFound, $"No agent is named '{agentName}'.");
}
