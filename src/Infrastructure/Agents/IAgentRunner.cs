using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// The one internal port of the agents: asking one agent of the project on one protocol, with the conversation's
/// lifecycle (made, kept or deleted, owned). Two adapters: <see cref="AgentThreadRunner"/> (classic: threads and runs)
/// and <see cref="AgentResponsesRunner"/> (new agents: conversations and responses). <see cref="AgentBase"/> picks the
/// one of its configured protocol (<see cref="AgentRunners"/>).
/// </summary>
/// <remarks>Failures are <see cref="UpstreamException"/>s (the deadline passing is <see cref="UpstreamFailure.Timeout"/>),
/// a thread or conversation that vanished meanwhile is <see cref="ThreadNotFoundException"/>, and the caller's own
/// cancellation is <see cref="OperationCanceledException"/>.</remarks>
public interface IAgentRunner
{
    /// <summary>The protocol this adapter speaks.</summary>
    AgentProtocol Protocol { get; }

    /// <summary>Asks <paramref name="target"/> and returns its raw reply.</summary>
    Task<AgentReply> RunAsync(AgentTarget target, AgentQuestion question, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="target"/> and streams its raw reply. Nothing is sent before the enumeration starts; a
    /// failure before the first update surfaces from the first <c>MoveNextAsync</c>. The same deadline and clean-up as
    /// <see cref="RunAsync"/> apply, also when the caller stops enumerating early.</summary>
    IAsyncEnumerable<AgentReplyUpdate> StreamAsync(AgentTarget target, AgentQuestion question, CancellationToken cancellationToken);

    /// <summary>The owner tag recorded on a thread (classic) or conversation (new), or null when none exists or it records
    /// none.</summary>
    Task<string?> GetOwnerAsync(string id, CancellationToken cancellationToken);

    /// <summary>Reads the agent (no run, no tokens spent): proves the service answers, accepts us and knows it.</summary>
    Task ProbeAsync(AgentTarget target, CancellationToken cancellationToken);
}

/// <summary>The two <see cref="IAgentRunner"/>s and the options that say which agent uses which.</summary>
public sealed class AgentRunners
{
    public AgentRunners(AgentThreadRunner classic, AgentResponsesRunner responses)
    {
        Classic = classic;
        Responses = responses;
    }

    public AgentThreadRunner Classic { get; }

    public AgentResponsesRunner Responses { get; }

    /// <summary>The configured options (endpoint, agents).</summary>
    public AgentServiceOptions Options => Classic.Options;

    /// <summary>The adapter of <paramref name="protocol"/>.</summary>
    public IAgentRunner For(AgentProtocol protocol) => protocol == AgentProtocol.Classic ? Classic : Responses;
}
