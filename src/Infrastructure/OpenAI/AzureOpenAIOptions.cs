using System.Security.Cryptography.X509Certificates;
using Wrapper.Infrastructure.Resilience;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// How to reach Azure OpenAI. Bound (<see cref="Configuration.AliasedBinding{TOptions}"/>) from the <c>AzureOpenAI</c>
/// section (timeouts, retries, the upstream pool and its circuit breakers) and the original environment variable names,
/// which win: OPENAI_ENDPOINT (<see cref="Endpoint"/>), OPENAI_API_KEY, OPENAI_API_VERSION, OPENAI_MODEL_DEPLOYMENT_NAME
/// (see <see cref="Configuration.ConfigurationKeys"/>); validated at start by
/// <see cref="Configuration.AzureOpenAIOptionsValidator"/>. When <see cref="Upstreams"/> is empty, the one upstream is
/// <see cref="Endpoint"/> with <see cref="ApiKey"/>, <see cref="Deployment"/> and <see cref="ApiVersion"/>.
/// </summary>
public sealed class AzureOpenAIOptions
{
    /// <summary>Configuration section of the tuning knobs (<c>AzureOpenAI:RequestTimeoutSeconds</c>, ...).</summary>
    public const string SectionName = "AzureOpenAI";

    /// <summary>The API version used when OPENAI_API_VERSION is not set: the v1 API, which Microsoft recommends for new
    /// code (generally available since August 2025; no api-version to upgrade, new models and features arrive on it
    /// first). A dated version (<c>2024-10-21</c>, <c>2025-04-01-preview</c>, ...) is still accepted.</summary>
    public const string DefaultApiVersion = AzureOpenAIServiceVersions.V1;

    /// <summary>The deployment used when OPENAI_MODEL_DEPLOYMENT_NAME is not set.</summary>
    public const string DefaultDeployment = "gpt-4o-mini";

    /// <summary>The resource endpoint, e.g. <c>https://my-resource.openai.azure.com/</c> (OPENAI_ENDPOINT).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The resource key (OPENAI_API_KEY). When absent, <c>DefaultAzureCredential</c> (Entra ID) is used.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The data-plane API version (OPENAI_API_VERSION), one of <see cref="AzureOpenAIServiceVersions.Supported"/>:
    /// <c>v1</c> or a dated version. An endpoint ending in <c>/openai/v1/</c> is always called on the v1 API.</summary>
    public string ApiVersion { get; set; } = DefaultApiVersion;

    /// <summary>The model deployment to call (OPENAI_MODEL_DEPLOYMENT_NAME).</summary>
    public string Deployment { get; set; } = DefaultDeployment;

    /// <summary>Longest one call may take in total, every retry and wait included
    /// (<c>AzureOpenAI:RequestTimeoutSeconds</c>, default 30).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><see cref="RequestTimeout"/> in seconds, as configured.</summary>
    public double RequestTimeoutSeconds { get => RequestTimeout.TotalSeconds; set => RequestTimeout = TimeSpan.FromSeconds(value); }

    /// <summary>How many times a failed try (408, 429, 5xx, transport error) may be repeated silently
    /// (<c>AzureOpenAI:MaxRetries</c>, default 2).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The longest wait before a silent retry (<c>AzureOpenAI:MaxRetryDelaySeconds</c>, default 2). A 429 or 5xx
    /// whose retry-after asks for more is not retried: the caller gets it with its RetryAfter instead.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><see cref="MaxRetryDelay"/> in seconds, as configured.</summary>
    public double MaxRetryDelaySeconds { get => MaxRetryDelay.TotalSeconds; set => MaxRetryDelay = TimeSpan.FromSeconds(value); }

    /// <summary>First back-off delay when the upstream sent no retry-after; doubles on each retry
    /// (<c>AzureOpenAI:RetryBaseDelayMs</c>, default 500).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary><see cref="RetryBaseDelay"/> in milliseconds, as configured.</summary>
    public double RetryBaseDelayMs { get => RetryBaseDelay.TotalMilliseconds; set => RetryBaseDelay = TimeSpan.FromMilliseconds(value); }

    /// <summary>Several Azure OpenAI upstreams (<c>AzureOpenAI:Upstreams:0:Endpoint</c>, ...; environment
    /// <c>AzureOpenAI__Upstreams__0__Endpoint</c>). Empty: the one upstream of OPENAI_ENDPOINT.</summary>
    public List<AzureOpenAIUpstreamOptions> Upstreams { get; } = [];

    /// <summary>Longest one try on one upstream may take before the request fails over to the next
    /// (<c>AzureOpenAI:AttemptTimeoutSeconds</c>); null: a try may use what is left of <see cref="RequestTimeout"/>.</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary><see cref="AttemptTimeout"/> in seconds, as configured.</summary>
    public double? AttemptTimeoutSeconds { get => AttemptTimeout?.TotalSeconds; set => AttemptTimeout = value is { } s ? TimeSpan.FromSeconds(s) : null; }

    /// <summary>Most upstreams one request may try (<c>AzureOpenAI:MaxUpstreamAttempts</c>); null: every upstream once.</summary>
    public int? MaxUpstreamAttempts { get; set; }

    /// <summary>Longest silence between two parts of a streamed answer once it has started
    /// (<c>AzureOpenAI:StreamIdleTimeoutSeconds</c>); null: <see cref="RequestTimeout"/>.</summary>
    public TimeSpan? StreamIdleTimeout { get; set; }

    /// <summary><see cref="StreamIdleTimeout"/> in seconds, as configured.</summary>
    public double? StreamIdleTimeoutSeconds { get => StreamIdleTimeout?.TotalSeconds; set => StreamIdleTimeout = value is { } s ? TimeSpan.FromSeconds(s) : null; }

    /// <summary>The per-upstream circuit breakers (<c>AzureOpenAI:CircuitBreaker:*</c>).</summary>
    public UpstreamCircuitBreakerOptions CircuitBreaker { get; } = new();

    /// <summary>True when <c>AzureOpenAI:MaxRetries</c> was set. With several upstreams and no explicit setting, an
    /// upstream is not retried silently: the request fails over to the next upstream instead.</summary>
    internal bool MaxRetriesConfigured { get; set; }

    /// <summary>The upstreams to use: <see cref="Upstreams"/>, or the single upstream of OPENAI_ENDPOINT. Missing
    /// deployments and API versions are taken from OPENAI_MODEL_DEPLOYMENT_NAME and OPENAI_API_VERSION; a missing name
    /// is the endpoint's host and port.</summary>
    public IReadOnlyList<AzureOpenAIUpstreamOptions> ResolveUpstreams()
    {
        if (Upstreams.Count == 0)
        {
            return Endpoint is not { IsAbsoluteUri: true }
                ? []
                : [new AzureOpenAIUpstreamOptions
                {
                    Name = Endpoint.Authority,
                    Endpoint = Endpoint,
                    ApiKey = ApiKey,
                    Deployment = Deployment,
                    ApiVersion = AzureOpenAIUpstreamOptions.IsV1Endpoint(Endpoint) ? AzureOpenAIServiceVersions.V1 : ApiVersion,
                }];
        }

        return Upstreams.Select(u => new AzureOpenAIUpstreamOptions
        {
            Name = string.IsNullOrWhiteSpace(u.Name) ? u.Endpoint is { IsAbsoluteUri: true } e ? e.Authority : null : u.Name.Trim(),
            Endpoint = u.Endpoint,
            ApiKey = u.ApiKey,
            Deployment = string.IsNullOrWhiteSpace(u.Deployment) ? Deployment : u.Deployment.Trim(),
            ApiVersion = AzureOpenAIUpstreamOptions.IsV1Endpoint(u.Endpoint) ? AzureOpenAIServiceVersions.V1
                : string.IsNullOrWhiteSpace(u.ApiVersion) ? ApiVersion : u.ApiVersion.Trim(),
            Priority = u.Priority,
            Weight = u.Weight,
        }).ToList();
    }

    /// <summary>Silent retries per upstream: <see cref="MaxRetries"/> with one upstream or when set explicitly;
    /// otherwise none, because failing over to another upstream beats waiting for the same one.</summary>
    public int RetriesPerUpstream(int upstreamCount) => upstreamCount > 1 && !MaxRetriesConfigured ? 0 : MaxRetries;

    /// <summary>A certificate trusted for the endpoint's TLS on top of the system's roots, and only for it (e.g. a
    /// self-signed one of a test endpoint). Not needed for http endpoints. Set in code by the host, never from
    /// configuration.</summary>
    public X509Certificate2? TrustedCertificate { get; set; }
}
