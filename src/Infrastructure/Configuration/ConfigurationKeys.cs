namespace Wrapper.Infrastructure.Configuration;

/// <summary>The configuration keys of the Azure OpenAI adapter, as start-up messages name them: the original service's
/// environment variable names (aliases bound by <see cref="DependencyInjection.AddInfrastructure"/>), plus the tuning
/// knobs of the <c>AzureOpenAI</c> section.</summary>
public static class ConfigurationKeys
{
    public const string OpenAIEndpoint = "OPENAI_ENDPOINT";
    public const string OpenAIApiKey = "OPENAI_API_KEY";
    public const string OpenAIApiVersion = "OPENAI_API_VERSION";
    public const string OpenAIDeployment = "OPENAI_MODEL_DEPLOYMENT_NAME";
    public const string OpenAIPrompt = "OPENAI_PROMPT";

    public const string RequestTimeoutSeconds = "AzureOpenAI:RequestTimeoutSeconds";
    public const string MaxRetries = "AzureOpenAI:MaxRetries";
    public const string MaxRetryDelaySeconds = "AzureOpenAI:MaxRetryDelaySeconds";
    public const string RetryBaseDelayMs = "AzureOpenAI:RetryBaseDelayMs";

    /// <summary>The list of upstreams: <c>AzureOpenAI:Upstreams:0:Endpoint</c>, <c>...:ApiKey</c>, <c>...:Deployment</c>,
    /// <c>...:ApiVersion</c>, <c>...:Name</c>, <c>...:Priority</c>, <c>...:Weight</c>.</summary>
    public const string Upstreams = "AzureOpenAI:Upstreams";
    public const string AttemptTimeoutSeconds = "AzureOpenAI:AttemptTimeoutSeconds";
    public const string MaxUpstreamAttempts = "AzureOpenAI:MaxUpstreamAttempts";
    public const string StreamIdleTimeoutSeconds = "AzureOpenAI:StreamIdleTimeoutSeconds";

    public const string CircuitBreakerEnabled = "AzureOpenAI:CircuitBreaker:Enabled";
    public const string CircuitBreakerFailureRatio = "AzureOpenAI:CircuitBreaker:FailureRatio";
    public const string CircuitBreakerMinimumThroughput = "AzureOpenAI:CircuitBreaker:MinimumThroughput";
    public const string CircuitBreakerSamplingDurationSeconds = "AzureOpenAI:CircuitBreaker:SamplingDurationSeconds";
    public const string CircuitBreakerBreakDurationSeconds = "AzureOpenAI:CircuitBreaker:BreakDurationSeconds";
    public const string CircuitBreakerMisconfigurationBreakSeconds = "AzureOpenAI:CircuitBreaker:MisconfigurationBreakSeconds";
}
