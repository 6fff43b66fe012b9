namespace Wrapper.Domain.Agents;

/// <summary>Which Agent Service protocol an agent is run with.</summary>
public enum AgentProtocol
{
    /// <summary>Classic agents (<c>asst_…</c> ids): assistants, threads, runs and messages. Retire on 2027-03-31.</summary>
    Classic,

    /// <summary>New agents: a name and an optional version, run through <c>{project}/openai/v1/responses</c> with
    /// <c>agent_reference</c>; conversations take the place of threads.</summary>
    Responses,
}
