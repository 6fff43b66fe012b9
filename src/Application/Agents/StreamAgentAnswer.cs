using Wrapper.Domain.Agents;

namespace Wrapper.Application.Agents;

/// <summary>Ask any configured agent by name and receive its answer piece by piece: <see cref="AgentTextDelta"/>s, then
/// one <see cref="AgentAnswerCompleted"/> with the citations and the kept thread or conversation id. Same fields, rules
/// and quota as <see cref="AskAgent"/>. MediatR 5 has no stream requests, so this is a normal request whose response is
/// the stream: the pipeline (logging, validation, quota) and the ownership check run when it is sent, so a refusal is
/// an ordinary exception before anything is written; the agent is asked when the caller starts enumerating.</summary>
public sealed record StreamAgentAnswer(string? Agent, string? Query, string? ThreadId = null, bool? KeepThread = null, string? ConversationId = null)
    : IRequest<IAsyncEnumerable<AgentStreamUpdate>>, IAgentQuestionRequest, Quotas.IMeteredRequest
{
    string? IAgentQuestionRequest.AgentName => Agent;

    /// <summary>Counted as a request only: the agent run's tokens are not reported to the service.</summary>
    public IReadOnlyList<ChatMessage>? Prompt(Common.ChatOptions options) => null;
}

public sealed class StreamAgentAnswerHandler : IRequestHandler<StreamAgentAnswer, IAsyncEnumerable<AgentStreamUpdate>>
{
    private readonly IAgentGateway _agents;
    private readonly ICurrentClient _client;

    public StreamAgentAnswerHandler(IAgentGateway agents, ICurrentClient client)
    {
        _agents = agents;
        _client = client;
    }

    public Task<IAsyncEnumerable<AgentStreamUpdate>> Handle(StreamAgentAnswer request, CancellationToken cancellationToken) =>
        _agents.StreamAsOwnerAsync(request.Agent!, request.ToQuestion(_client.Identity), cancellationToken);
}
