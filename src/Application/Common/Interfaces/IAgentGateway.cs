using Wrapper.Domain.Agents;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: the Azure AI Foundry Agent Service agents, reached by name.</summary>
/// <remarks>
/// Implementations throw <see cref="Exceptions.UpstreamException"/> for every upstream failure, and
/// <see cref="Exceptions.ThreadNotFoundException"/> when a thread or conversation to continue vanished meanwhile; nothing
/// else may escape, except <see cref="OperationCanceledException"/> when the caller's token is cancelled.
/// Each agent runs on one <see cref="AgentProtocol"/> (configuration decides): classic agents continue
/// <see cref="AgentQuestion.ThreadId"/>s and answer <see cref="AgentAnswer.ThreadId"/>; new ones continue
/// <see cref="AgentQuestion.ConversationId"/>s and answer <see cref="AgentAnswer.ConversationId"/>. Callers validate that a
/// question carries only the id kind of its agent's protocol (see <see cref="ProtocolOf"/>).
/// </remarks>
public interface IAgentGateway
{
    /// <summary>The names of the agents this gateway knows (configured or not), for example <c>bing-grounding</c>.</summary>
    IReadOnlyCollection<string> AgentNames { get; }

    /// <summary>False when no Agent Service is configured (the agents then answer 503).</summary>
    bool IsConfigured { get; }

    /// <summary>The protocol the named agent runs on, or null when no agent has that name.</summary>
    AgentProtocol? ProtocolOf(string agentName);

    /// <summary>Asks the named agent. Deletes the thread afterwards unless <see cref="AgentQuestion.KeepThread"/>. A new
    /// thread records <see cref="AgentQuestion.Owner"/> as its owner. Does not check who owns an existing thread: callers
    /// do, with <see cref="GetThreadOwnerAsync"/> (see <c>ThreadOwnership.AskAsOwnerAsync</c>).</summary>
    Task<AgentAnswer> AskAsync(string agentName, AgentQuestion question, CancellationToken cancellationToken);

    /// <summary>Asks the named agent and streams the answer: <see cref="AgentTextDelta"/>s (markers removed), then one
    /// <see cref="AgentAnswerCompleted"/> with the citations and the kept thread or conversation id. Same thread and
    /// conversation rules as <see cref="AskAsync"/>. Nothing is sent before the enumeration starts; a failure before the
    /// first update surfaces from the first <c>MoveNextAsync</c>, a later one ends the enumeration with an
    /// <see cref="Exceptions.UpstreamException"/>.</summary>
    IAsyncEnumerable<AgentStreamUpdate> StreamAsync(string agentName, AgentQuestion question, CancellationToken cancellationToken);

    /// <summary>The owner recorded on the thread when it was created (see <see cref="AgentQuestion.Owner"/>), or null when
    /// no such thread exists (never did, or was deleted) or it records no owner (it was not made by this service).</summary>
    Task<string?> GetThreadOwnerAsync(string threadId, CancellationToken cancellationToken);

    /// <summary>The owner recorded on the conversation (new protocol) when it was created, or null when no such
    /// conversation exists or it records no owner.</summary>
    Task<string?> GetConversationOwnerAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>Checks that the Agent Service answers and knows the main agent, without creating threads or
    /// spending tokens. Returns normally when it does; throws <see cref="Exceptions.UpstreamException"/> otherwise.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
