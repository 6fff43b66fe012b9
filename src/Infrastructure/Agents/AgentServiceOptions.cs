using System.Security.Cryptography.X509Certificates;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// How to reach the Azure AI Foundry Agent Service and which agents to use. Bound
/// (<see cref="Configuration.AliasedBinding{TOptions}"/>, by <see cref="AgentServiceCollectionExtensions.AddAgents"/>) from
/// the <c>AgentService</c> section (timeouts, polling, retries), the <c>Agents</c> section (one entry per agent name:
/// <c>Agents:plain:AgentId</c> for a classic agent, <c>Agents:plain:AgentName</c> / <c>AgentVersion</c> for a new one;
/// environment <c>Agents__plain__AgentId</c>) and the original variable names, which win: <c>AZURE_AI_PROJECT_ENDPOINT</c>
/// (<see cref="Endpoint"/>), <c>AZURE_AI_AGENT_ID</c> (the classic <c>bing-grounding</c> agent) and
/// <c>AZURE_AI_AGENT_NAME</c> / <c>AZURE_AI_AGENT_VERSION</c> (a new-protocol <c>bing-grounding</c> agent); checked at
/// start by <see cref="AgentServiceOptionsValidator"/>. Which protocol an entry uses: <see cref="TargetOf"/>.
/// </summary>
public sealed class AgentServiceOptions
{
    /// <summary>Configuration section of the tuning knobs (<c>AgentService:RunDeadlineSeconds</c>, ...).</summary>
    public const string SectionName = "AgentService";

    /// <summary>Configuration section of the agents (<c>Agents:&lt;name&gt;:AgentId</c>).</summary>
    public const string AgentsSectionName = "Agents";

    /// <summary>The project endpoint (the original service's variable; wins over <c>AgentService:Endpoint</c>).</summary>
    public const string EndpointKey = "AZURE_AI_PROJECT_ENDPOINT";

    /// <summary>The Bing grounding agent's id (the original service's variable; wins over
    /// <c>Agents:bing-grounding:AgentId</c>).</summary>
    public const string AgentIdKey = "AZURE_AI_AGENT_ID";

    /// <summary>The Bing grounding agent's name on the new protocol (wins over <c>Agents:bing-grounding:AgentName</c>).</summary>
    public const string AgentNameKey = "AZURE_AI_AGENT_NAME";

    /// <summary>The Bing grounding agent's version on the new protocol (wins over <c>Agents:bing-grounding:AgentVersion</c>).</summary>
    public const string AgentVersionKey = "AZURE_AI_AGENT_VERSION";

    /// <summary>The <see cref="AgentDefinition.Protocol"/> value of classic agents.</summary>
    public const string ClassicProtocol = "classic";

    /// <summary>The <see cref="AgentDefinition.Protocol"/> value of new agents (Responses API), the default.</summary>
    public const string ResponsesProtocol = "responses";

    /// <summary>The project endpoint, e.g. <c>https://my-resource.services.ai.azure.com/api/projects/my-project</c>
    /// (<c>AZURE_AI_PROJECT_ENDPOINT</c>). Null: no Agent Service is configured.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The <c>api-version</c> sent with every call (<c>AgentService:ApiVersion</c>, default <c>v1</c>).</summary>
    public string ApiVersion { get; set; } = "v1";

    /// <summary>The agents by name (case-insensitive). <c>AZURE_AI_AGENT_ID</c> sets the <c>bing-grounding</c> one.</summary>
    public Dictionary<string, AgentDefinition> Agents { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Longest one question may take on the Agent Service, from creating the thread to reading the answer
    /// (<c>AgentService:RunDeadlineSeconds</c>, default 120). When it passes, the run is cancelled and the caller gets 504.</summary>
    public double RunDeadlineSeconds { get; set; } = 120;

    /// <summary>First wait before polling a run (<c>AgentService:FirstPollDelayMs</c>, default 250); each later wait
    /// is 1.5 times longer, up to <see cref="MaxPollDelayMs"/>.</summary>
    public int FirstPollDelayMs { get; set; } = 250;

    /// <summary>Longest wait between two polls of a run (<c>AgentService:MaxPollDelayMs</c>, default 2000).</summary>
    public int MaxPollDelayMs { get; set; } = 2000;

    /// <summary>Longest one HTTP try may take (<c>AgentService:RequestTimeoutSeconds</c>, default 30).</summary>
    public double RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>How many times a failed call may be repeated silently (<c>AgentService:MaxRetries</c>, default 2).
    /// Reads and deletes are retried after 408, 429, 5xx and transport errors; creations only after 429 and 503
    /// (the service said it did nothing), so a retry never makes a second thread or run.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>First back-off delay (<c>AgentService:RetryBaseDelayMs</c>, default 500), doubling per retry.</summary>
    public int RetryBaseDelayMs { get; set; } = 500;

    /// <summary>The longest wait before a silent retry (<c>AgentService:MaxRetryDelaySeconds</c>, default 2). A 429 or
    /// 503 asking to wait longer is not retried: the caller gets it with its Retry-After instead.</summary>
    public double MaxRetryDelaySeconds { get; set; } = 2;

    /// <summary>Time allowed for cleaning up after a question (cancelling a run, deleting the thread) once the caller
    /// has gone or the deadline passed (<c>AgentService:CleanupTimeoutSeconds</c>, default 10).</summary>
    public double CleanupTimeoutSeconds { get; set; } = 10;

    /// <summary>The one certificate trusted for the endpoint's TLS besides the system's trust (e.g. a self-signed one of a
    /// test endpoint), compared by SHA-256 thumbprint. Set in code by the host, never from configuration.</summary>
    public X509Certificate2? TrustedCertificate { get; set; }

    public TimeSpan RunDeadline => TimeSpan.FromSeconds(RunDeadlineSeconds);

    public TimeSpan FirstPollDelay => TimeSpan.FromMilliseconds(FirstPollDelayMs);

    public TimeSpan MaxPollDelay => TimeSpan.FromMilliseconds(MaxPollDelayMs);

    public TimeSpan RequestTimeout => TimeSpan.FromSeconds(RequestTimeoutSeconds);

    public TimeSpan RetryBaseDelay => TimeSpan.FromMilliseconds(RetryBaseDelayMs);

    public TimeSpan MaxRetryDelay => TimeSpan.FromSeconds(MaxRetryDelaySeconds);

    public TimeSpan CleanupTimeout => TimeSpan.FromSeconds(CleanupTimeoutSeconds);

    /// <summary>The classic agent id configured for <paramref name="agentName"/>, or null (also when the entry runs on
    /// the new protocol).</summary>
    public string? AgentIdOf(string agentName) =>
        TargetOf(agentName) is { Protocol: AgentProtocol.Classic } target ? target.Reference : null;

    /// <summary>
    /// Which agent of the project <paramref name="agentName"/> names, and on which protocol; null when it has no entry
    /// (or a classic entry without its id). The protocol is the entry's <see cref="AgentDefinition.Protocol"/> when set;
    /// otherwise classic when only an <see cref="AgentDefinition.AgentId"/> is given, and the new protocol (Responses API)
    /// in every other case, with <see cref="AgentDefinition.AgentName"/> defaulting to the entry's name. Ambiguous and
    /// invalid entries are refused at start by <see cref="AgentServiceOptionsValidator"/>.
    /// </summary>
    public AgentTarget? TargetOf(string agentName)
    {
        if (!Agents.TryGetValue(agentName, out var agent))
        {
            return null;
        }

        var id = Trimmed(agent.AgentId);
        var protocol = agent.ProtocolValue() ?? (id is not null && Trimmed(agent.AgentName) is null && Trimmed(agent.AgentVersion) is null
            ? AgentProtocol.Classic
            : AgentProtocol.Responses);
        return protocol == AgentProtocol.Classic
            ? id is null ? null : new AgentTarget(agentName, AgentProtocol.Classic, id, null)
            : new AgentTarget(agentName, AgentProtocol.Responses, Trimmed(agent.AgentName) ?? agentName, Trimmed(agent.AgentVersion));
    }

    internal static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>One agent of the Agent Service, as configured under <c>Agents:&lt;name&gt;</c>: a classic agent by its id, or
/// a new one by its name and optional version.</summary>
public sealed class AgentDefinition
{
    /// <summary>A classic agent's id in the project (an <c>asst_…</c> id).</summary>
    public string? AgentId { get; set; }

    /// <summary>A new agent's name in the project (default: the entry's name).</summary>
    public string? AgentName { get; set; }

    /// <summary>A new agent's version (default: its latest).</summary>
    public string? AgentVersion { get; set; }

    /// <summary><c>classic</c> or <c>responses</c>; unset: classic when only <see cref="AgentId"/> is given, otherwise
    /// responses.</summary>
    public string? Protocol { get; set; }

    /// <summary>The parsed <see cref="Protocol"/>, or null when it is unset or not one of the two values.</summary>
    internal AgentProtocol? ProtocolValue() => AgentServiceOptions.Trimmed(Protocol)?.ToLowerInvariant() switch
    {
        AgentServiceOptions.ClassicProtocol => AgentProtocol.Classic,
        AgentServiceOptions.ResponsesProtocol => AgentProtocol.Responses,
        _ => null,
    };
}

/// <summary>The agent of the project one configuration entry names.</summary>
/// <param name="Entry">The entry's name (how callers name the agent), e.g. <c>bing-grounding</c>.</param>
/// <param name="Protocol">The protocol it runs on.</param>
/// <param name="Reference">The classic agent's id (<c>asst_…</c>), or the new agent's name.</param>
/// <param name="Version">The new agent's version; null for its latest, and always for classic agents.</param>
public sealed record AgentTarget(string Entry, AgentProtocol Protocol, string Reference, string? Version);
