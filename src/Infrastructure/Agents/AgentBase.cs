using System.Runtime.CompilerServices;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// An agent of the Azure AI Foundry Agent Service: a name (how callers pick it), the project endpoint, the agent of the
/// project its configuration entry names (<c>Agents:&lt;name&gt;</c>: a classic <c>AgentId</c>, or a new agent's
/// <c>AgentName</c> and <c>AgentVersion</c>, see <see cref="AgentServiceOptions.TargetOf"/>), and two operations,
/// <see cref="AskAsync"/> and <see cref="StreamAsync"/>, which work on either protocol.
/// </summary>
/// <remarks>
/// Adding an agent is one class deriving from this one plus its entry in configuration: classes in this assembly are
/// found by <see cref="AgentServiceCollectionExtensions.AddAgents"/>; others are added with
/// <see cref="AgentServiceCollectionExtensions.AddAgent{TAgent}"/>. A derived class decides what its answer is made of
/// (<see cref="ToAnswer"/>, usually with <see cref="CitationExtractor"/>); the protocol's adapter
/// (<see cref="IAgentRunner"/>, picked from configuration by <see cref="AgentRunners"/>) runs the question.
/// </remarks>
public abstract class AgentBase
{
    private readonly AgentRunners _runners;

    protected AgentBase(string name, AgentRunners runners)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(runners);
        Name = name;
        _runners = runners;
    }

    /// <summary>How callers and configuration name this agent, for example <c>bing-grounding</c>.</summary>
    public string Name { get; }

    /// <summary>The project endpoint, or null when no Agent Service is configured.</summary>
    public Uri? Endpoint => _runners.Options.Endpoint;

    /// <summary>The agent of the project this one runs, or null when its entry is missing.</summary>
    public AgentTarget? Target => _runners.Options.TargetOf(Name);

    /// <summary>The protocol this agent runs on: its entry's, or the new protocol (the default of new configurations)
    /// when it has none yet.</summary>
    public AgentProtocol Protocol => Target?.Protocol ?? AgentProtocol.Responses;

    /// <summary>The classic agent id configured for <see cref="Name"/>, or null (also for new-protocol agents).</summary>
    public string? AgentId => _runners.Options.AgentIdOf(Name);

    /// <summary>True when both the endpoint and the agent's entry are configured.</summary>
    public bool IsConfigured => Endpoint is not null && Target is not null;

    /// <summary>Asks the agent.</summary>
    /// <exception cref="UpstreamException">Every failure, including "not configured" (Unavailable).</exception>
    /// <exception cref="ThreadNotFoundException">The thread or conversation to continue vanished meanwhile.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public virtual async Task<AgentAnswer> AskAsync(AgentQuestion question, CancellationToken cancellationToken) =>
        ToAnswer(await RunAsync(question, cancellationToken).ConfigureAwait(false));

    /// <summary>Asks the agent and streams the answer: text deltas with citation markers removed (also those split across
    /// the service's deltas, <see cref="StreamingMarkerFilter"/>), then the whole answer (<see cref="ToAnswer"/>).</summary>
    public virtual async IAsyncEnumerable<AgentStreamUpdate> StreamAsync(AgentQuestion question,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = new StreamingMarkerFilter();
        await foreach (var update in RunStreamingAsync(question, cancellationToken).ConfigureAwait(false))
        {
            switch (update)
            {
                case AgentReplyDelta delta when filter.Push(delta.Text) is { Length: > 0 } text:
                    yield return new AgentTextDelta(text);
                    break;
                case AgentReplyCompleted completed:
                    if (filter.Flush() is { Length: > 0 } rest)
                    {
                        yield return new AgentTextDelta(rest);
                    }

                    yield return new AgentAnswerCompleted(ToAnswer(completed.Reply));
                    yield break;
            }
        }
    }

    /// <summary>What this agent answers, made of the service's raw reply (markers, annotations, kept ids).</summary>
    protected abstract AgentAnswer ToAnswer(AgentReply reply);

    /// <summary>Runs the question on this agent's protocol and returns the raw reply (the thread or conversation lifecycle
    /// of the adapter).</summary>
    protected Task<AgentReply> RunAsync(AgentQuestion question, CancellationToken cancellationToken)
    {
        var target = RequireTarget();
        return _runners.For(target.Protocol).RunAsync(target, question, cancellationToken);
    }

    /// <summary>Runs the question on this agent's protocol and streams the raw reply. Nothing is checked or sent before the
    /// enumeration starts.</summary>
    protected async IAsyncEnumerable<AgentReplyUpdate> RunStreamingAsync(AgentQuestion question,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var target = RequireTarget();
        await foreach (var update in _runners.For(target.Protocol).StreamAsync(target, question, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    private AgentTarget RequireTarget()
    {
        if (Endpoint is null)
        {
            throw new UpstreamException(UpstreamFailure.Unavailable,
                $"No Agent Service is configured: set {AgentServiceOptions.EndpointKey}.");
        }

        return Target ?? throw new UpstreamException(UpstreamFailure.Unavailable,
            $"The agent '{Name}' is not configured: set {AgentServiceOptions.AgentsSectionName}:{Name}:AgentName (a new agent) or " +
            $"{AgentServiceOptions.AgentsSectionName}:{Name}:AgentId (a classic one)" +
            (Name == Application.Grounding.AskGroundedQuestion.AgentName
                ? $", or {AgentServiceOptions.AgentNameKey} / {AgentServiceOptions.AgentIdKey}."
                : "."));
    }
}
