using Wrapper.Application.Grounding;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// The agent grounded with Bing search (<c>AZURE_AI_AGENT_ID</c>), behind <c>POST /bing-grounding</c>: the answer with
/// its 【n:m†source】 markers removed and its web (and any file) sources numbered from 1.
/// </summary>
public sealed class BingGroundingAgent : AgentBase
{
    public BingGroundingAgent(AgentThreadRunner runner)
        : base(AskGroundedQuestion.AgentName, runner)
    {
    }

    public override async Task<AgentAnswer> AskAsync(AgentQuestion question, CancellationToken cancellationToken)
    {
        var reply = await RunAsync(question, cancellationToken).ConfigureAwait(false);
        return CitationExtractor.Extract(reply.Text, reply.Annotations, reply.ThreadId);
    }
}
