using Wrapper.Simulator.Agents;

namespace Wrapper.Simulator;

/// <summary>
/// Settings of the Azure OpenAI / Agent Service simulator. Bound from the configuration section
/// <c>Simulator</c> when the simulator runs standalone (environment variables <c>Simulator__ApiKey</c>, ...).
/// The instance registered in the container is read on every request, so a test may change it while the
/// simulator runs (e.g. raise <see cref="LatencyPerTokenMs"/>).
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>The configuration section the standalone simulator binds.</summary>
    public const string SectionName = "Simulator";

    /// <summary>The key expected in the <c>api-key</c> header of the OpenAI routes.</summary>
    public string ApiKey { get; set; } = "simulator-key";

    /// <summary>Accept <c>Authorization: Bearer &lt;token&gt;</c> (Entra ID) on the OpenAI routes.</summary>
    public bool AllowBearerTokens { get; set; } = true;

    /// <summary>
    /// The only bearer token the OpenAI routes accept; <c>null</c> accepts any non-empty token
    /// (the simulator cannot validate a real Entra ID token).
    /// </summary>
    public string? OpenAIBearerToken { get; set; }

    /// <summary>Deployment names served by the OpenAI routes (compared case-insensitively).</summary>
    public List<string> Deployments { get; set; } = ["gpt-4o-mini", "gpt-4o"];

    /// <summary>Delay per completion token: between streamed chunks, and in total before a non-streamed answer.</summary>
    public double LatencyPerTokenMs { get; set; }

    /// <summary>Tokens-per-minute limit of every deployment (sliding 60 s window); 0 = unlimited.</summary>
    public int TokensPerMinute { get; set; }

    /// <summary>Per-deployment overrides of <see cref="TokensPerMinute"/> (0 = unlimited for that deployment).</summary>
    public Dictionary<string, int> DeploymentTokensPerMinute { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Requests-per-minute limit of every deployment (sliding 60 s window); 0 = unlimited.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Length in tokens of an answer that no <c>max_tokens</c> cuts.</summary>
    public int AnswerTokens { get; set; } = 60;

    /// <summary>A prompt containing this text (case-insensitive) is refused with 400 <c>content_filter</c>.</summary>
    public string ContentFilterTrigger { get; set; } = "trigger-content-filter";

    /// <summary>
    /// A prompt containing this text (case-insensitive) is answered 200 with <c>finish_reason: "content_filter"</c>
    /// and a filtered, truncated completion (Azure's output filter).
    /// </summary>
    public string CompletionFilterTrigger { get; set; } = "trigger-completion-filter";

    /// <summary>
    /// Bearer token the Agent Service routes expect; <c>null</c> accepts any non-empty token.
    /// </summary>
    public string? AgentBearerToken { get; set; }

    /// <summary>Settings of the Agent Service routes (configuration section <c>Simulator:Agents</c>).</summary>
    public AgentSimulatorOptions Agents { get; set; } = new();

    /// <summary>
    /// Standalone with an https URL: where the PEM of the ephemeral self-signed certificate is written,
    /// so that clients can trust it. <c>null</c> = not written (its SHA-256 thumbprint is still logged).
    /// </summary>
    public string? CertificatePemPath { get; set; }

    /// <summary>The tokens-per-minute limit of one deployment (override or <see cref="TokensPerMinute"/>).</summary>
    public int TokensPerMinuteFor(string deployment) =>
        DeploymentTokensPerMinute.TryGetValue(deployment, out var limit) ? limit : TokensPerMinute;

    /// <summary>The configured deployment name matching <paramref name="deployment"/>, or <c>null</c>.</summary>
    public string? FindDeployment(string deployment)
    {
        foreach (var name in Deployments)
        {
            if (string.Equals(name, deployment, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return null;
    }
}
