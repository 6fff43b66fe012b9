using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// A plain Agent Service agent without the Bing tool (<c>Agents:plain:AgentId</c> for a classic agent,
/// <c>Agents:plain:AgentName</c> for a new one), behind <c>POST /agents/plain</c>.
/// It answers from its model, instructions and any files it was given: it cites files only. A web citation would not
/// come from this agent's own tools, so its marker is removed but it is not listed.
/// </summary>
public sealed class PlainAgent : AgentBase
{
    /// <summary>The name callers and configuration use.</summary>
    public const string AgentName = "plain";

    public PlainAgent(AgentRunners runners)
        : base(AgentName, runners)
    {
    }

    protected override AgentAnswer ToAnswer(AgentReply reply)
    {
        var content = CitationExtractor.RemoveMarkers(reply.Text, reply.Annotations);
        var citations = CitationExtractor.Number(reply.Annotations.Where(a => a.Kind == CitationType.File));
        return new AgentAnswer(content, citations, reply.ThreadId, reply.ConversationId);
    }
}
