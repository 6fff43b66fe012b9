using Wrapper.Application.Agents;
using Wrapper.Domain.Agents;

namespace Wrapper.Application.Grounding;

/// <summary>Ask the Bing-grounded agent a question; the answer cites the web pages it used.</summary>
/// <param name="Query">The question.</param>
/// <param name="ThreadId">An existing classic thread to continue (from an earlier answer's <c>thread_id</c>).</param>
/// <param name="KeepThread">Keep the thread or conversation after answering; defaults to true when continuing one, false otherwise.</param>
/// <param name="ConversationId">An existing conversation to continue (from an earlier answer's <c>conversation_id</c>),
/// when the agent runs on the new protocol.</param>
public sealed record AskGroundedQuestion(string? Query, string? ThreadId = null, bool? KeepThread = null, string? ConversationId = null)
    : IRequest<AgentAnswer>, IAgentQuestionRequest, Quotas.IMeteredRequest
{
    /// <summary>The name of the Bing grounding agent.</summary>
    public const string AgentName = "bing-grounding";

    string? IAgentQuestionRequest.AgentName => AgentName;

    /// <summary>Counted as a request only: the agent run's tokens are not reported to the service.</summary>
    public IReadOnlyList<ChatMessage>? Prompt(Common.ChatOptions options) => null;
}

public sealed class AskGroundedQuestionHandler : IRequestHandler<AskGroundedQuestion, AgentAnswer>
{
    private readonly IAgentGateway _agents;
    private readonly ICurrentClient _client;

    public AskGroundedQuestionHandler(IAgentGateway agents, ICurrentClient client)
    {
        _agents = agents;
        _client = client;
    }

    public Task<AgentAnswer> Handle(AskGroundedQuestion request, CancellationToken cancellationToken) =>
        _agents.AskAsOwnerAsync(AskGroundedQuestion.AgentName, request.ToQuestion(_client.Identity), cancellationToken);
}
