using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The <see cref="IAgentGateway"/> port over the registered <see cref="AgentBase"/> agents.</summary>
public sealed class AgentGateway : IAgentGateway
{
    private readonly Dictionary<string, AgentBase> _agents;
    private readonly AgentServiceClient? _client;
    private readonly AgentThreadRunner _runner;

    public AgentGateway(IEnumerable<AgentBase> agents, OptionalAgentServiceClient client, AgentThreadRunner runner)
    {
        _runner = runner;
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

    /// <summary>Every agent runs on the classic protocol until the new one's adapter is configured.</summary>
    public AgentProtocol? ProtocolOf(string agentName) =>
        _agents.ContainsKey(agentName) ? AgentProtocol.Classic : null;

    public Task<AgentAnswer> AskAsync(string agentName, AgentQuestion question, CancellationToken cancellationToken) =>
        _agents.TryGetValue(agentName, out var agent)
            ? agent.AskAsync(question, cancellationToken)
            : throw new UpstreamException(UpstreamFailure.NotFound, $"No agent is named '{agentName}'.");

    /// <summary>Streams by asking and then yielding the whole answer as one delta (the classic runner does not stream yet).</summary>
    public async IAsyncEnumerable<AgentStreamUpdate> StreamAsync(string agentName, AgentQuestion question,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var answer = await AskAsync(agentName, question, cancellationToken).ConfigureAwait(false);
        if (answer.Content.Length > 0)
        {
            yield return new AgentTextDelta(answer.Content);
        }

        yield return new AgentAnswerCompleted(answer);
    }

    /// <summary>No agent runs on the new protocol yet, so no conversation exists.</summary>
    public Task<string?> GetConversationOwnerAsync(string conversationId, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);

    /// <summary>Reads the owner tag the thread's metadata recorded at creation (<c>GET /threads/{threadId}</c>).</summary>
    public Task<string?> GetThreadOwnerAsync(string threadId, CancellationToken cancellationToken) =>
        _runner.GetThreadOwnerAsync(threadId, cancellationToken);

    /// <summary>Reads each configured agent (<c>GET /assistants/{id}</c>), the Bing grounding agent first; with none
    /// configured, lists one agent to prove the service and our credentials.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var client = _client ?? throw new UpstreamException(UpstreamFailure.Unavailable, "No Agent Service is configured.");
        var ids = _agents.Values
            .OrderBy(a => a.Name == AskGroundedQuestion.AgentName ? 0 : 1)
            .Select(a => a.AgentId)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (ids.Count == 0)
        {
            await client.ListAgentsAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var id in ids)
        {
            await client.GetAgentAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }
}
