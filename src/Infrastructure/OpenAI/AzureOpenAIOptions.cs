using System.Security.Cryptography.X509Certificates;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// How to reach Azure OpenAI (or the simulator). Bound from the original environment variable names
/// (OPENAI_ENDPOINT, OPENAI_API_KEY, OPENAI_API_VERSION, OPENAI_MODEL_DEPLOYMENT_NAME, OPENAI_SIMULATED) and the
/// <c>AzureOpenAI</c> section (timeouts and retries) by <see cref="Configuration.AzureOpenAIOptionsSetup"/>;
/// validated at start by <see cref="Configuration.AzureOpenAIOptionsValidator"/>.
/// </summary>
public sealed class AzureOpenAIOptions
{
    /// <summary>Configuration section of the tuning knobs (<c>AzureOpenAI:RequestTimeoutSeconds</c>, ...).</summary>
    public const string SectionName = "AzureOpenAI";

    /// <summary>The API version used when OPENAI_API_VERSION is not set: the newest one Azure.AI.OpenAI 2.9.0-beta.1 knows.</summary>
    public const string DefaultApiVersion = "2025-04-01-preview";

    /// <summary>The deployment used when OPENAI_MODEL_DEPLOYMENT_NAME is not set.</summary>
    public const string DefaultDeployment = "gpt-4o-mini";

    /// <summary>The resource endpoint, e.g. <c>https://my-resource.openai.azure.com/</c> (OPENAI_ENDPOINT).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The resource key (OPENAI_API_KEY). When absent, <c>DefaultAzureCredential</c> (Entra ID) is used.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The data-plane API version (OPENAI_API_VERSION), one of <see cref="AzureOpenAIServiceVersions.Supported"/>.</summary>
    public string ApiVersion { get; set; } = DefaultApiVersion;

    /// <summary>The model deployment to call (OPENAI_MODEL_DEPLOYMENT_NAME).</summary>
    public string Deployment { get; set; } = DefaultDeployment;

    /// <summary>True when the endpoint is the built-in simulator (OPENAI_SIMULATED); /health then reports it.</summary>
    public bool Simulated { get; set; }

    /// <summary>Longest one call may take in total, every retry and wait included
    /// (<c>AzureOpenAI:RequestTimeoutSeconds</c>, default 30).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a failed try (408, 429, 5xx, transport error) may be repeated silently
    /// (<c>AzureOpenAI:MaxRetries</c>, default 2).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The longest wait before a silent retry (<c>AzureOpenAI:MaxRetryDelaySeconds</c>, default 2). A 429 or 5xx
    /// whose retry-after asks for more is not retried: the caller gets it with its RetryAfter instead.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First back-off delay when the upstream sent no retry-after; doubles on each retry
    /// (<c>AzureOpenAI:RetryBaseDelayMs</c>, default 500).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A certificate trusted for the endpoint's TLS on top of the system's roots, and only for it: the embedded
    /// simulator's self-signed certificate. Not needed for http endpoints. Set in code, never from configuration.</summary>
    public X509Certificate2? TrustedCertificate { get; set; }

    /// <summary>Configuration values that could not be parsed; reported by validation with the key that holds them.</summary>
    internal List<string> BindingErrors { get; } = [];
}
