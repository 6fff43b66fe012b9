using Wrapper.Application.Agents;
using Wrapper.Domain.Agents;

namespace Wrapper.Application.Grounding;

/// <summary>Ask the Bing-grounded agent and receive the answer piece by piece: <see cref="AgentTextDelta"/>s, then one
/// <see cref="AgentAnswerCompleted"/> with the citations. Same fields, rules and quota as <see cref="AskGroundedQuestion"/>;
/// like <see cref="Agents.StreamAgentAnswer"/>, the response is the stream, returned once the pipeline and the ownership
/// check have passed.</summary>
public sealed record StreamGroundedAnswer(string? Query, string? ThreadId = null, bool? KeepThread = null, string? ConversationId = null)
    : IRequest<IAsyncEnumerable<AgentStreamUpdate>>, IAgentQuestionRequest, Quotas.IMeteredRequest
{
    string? IAgentQuestionRequest.AgentName => AskGroundedQuestion.AgentName;

    /// <summary>Counted as a request only: the agent run's tokens are not reported to the service.</summary>
    public IReadOnlyList<ChatMessage>? Prompt(Common.ChatOptions options) => null;
}

public sealed class StreamGroundedAnswerHandler : IRequestHandler<StreamGroundedAnswer, IAsyncEnumerable<AgentStreamUpdate>>
{
    private readonly IAgentGateway _agents;
    private readonly ICurrentClient _client;

    public StreamGroundedAnswerHandler(IAgentGateway agents, ICurrentClient client)
    {
        _agents = agents;
        _client = client;
    }

    public Task<IAsyncEnumerable<AgentStreamUpdate>> Handle(StreamGroundedAnswer request, CancellationToken cancellationToken) =>
        _agents.StreamAsOwnerAsync(AskGroundedQuestion.AgentName, request.ToQuestion(_client.Identity), cancellationToken);
}
