using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// The agent grounded with Bing search (<c>AZURE_AI_AGENT_ID</c> for a classic agent, <c>AZURE_AI_AGENT_NAME</c> for a new
/// one), behind <c>POST /bing-grounding</c>: the answer with its 【n:m†source】 markers removed and its web (and any file)
/// sources numbered from 1, the same shape from either protocol.
/// </summary>
public sealed class BingGroundingAgent : AgentBase
{
    public BingGroundingAgent(AgentRunners runners)
        : base(AskGroundedQuestion.AgentName, runners)
    {
    }

    protected override AgentAnswer ToAnswer(AgentReply reply) =>
        CitationExtractor.Extract(reply.Text, reply.Annotations, reply.ThreadId) with { ConversationId = reply.ConversationId };
}
