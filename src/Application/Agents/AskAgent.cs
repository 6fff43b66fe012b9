using Wrapper.Domain.Agents;

namespace Wrapper.Application.Agents;

/// <summary>Ask any configured agent by name (the extension point: every agent class is reachable here).</summary>
/// <param name="Agent">The agent's name, for example <c>bing-grounding</c> or <c>plain</c>.</param>
/// <param name="Query">The user message.</param>
/// <param name="ThreadId">An existing classic thread to continue (agents on the classic protocol).</param>
/// <param name="KeepThread">Keep the thread or conversation after answering; defaults to true when continuing one, false otherwise.</param>
/// <param name="ConversationId">An existing conversation to continue (agents on the new protocol).</param>
public sealed record AskAgent(string? Agent, string? Query, string? ThreadId = null, bool? KeepThread = null, string? ConversationId = null)
    : IRequest<AgentAnswer>, IAgentQuestionRequest, Quotas.IMeteredRequest
{
    string? IAgentQuestionRequest.AgentName => Agent;

    /// <summary>Counted as a request only: the agent run's tokens are not reported to the service.</summary>
    public IReadOnlyList<ChatMessage>? Prompt(Common.ChatOptions options) => null;
}

public sealed class AskAgentHandler : IRequestHandler<AskAgent, AgentAnswer>
{
    private readonly IAgentGateway _agents;
    private readonly ICurrentClient _client;

    public AskAgentHandler(IAgentGateway agents, ICurrentClient client)
    {
        _agents = agents;
        _client = client;
    }

    public Task<AgentAnswer> Handle(AskAgent request, CancellationToken cancellationToken) =>
        _agents.AskAsOwnerAsync(request.Agent!, request.ToQuestion(_client.Identity), cancellationToken);
}
