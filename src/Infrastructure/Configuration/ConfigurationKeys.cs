namespace Wrapper.Infrastructure.Configuration;

/// <summary>The configuration keys of the Azure OpenAI adapter: the original service's environment variable names,
/// plus the tuning knobs of the <c>AzureOpenAI</c> section.</summary>
public static class ConfigurationKeys
{
    public const string OpenAIEndpoint = "OPENAI_ENDPOINT";
    public const string OpenAIApiKey = "OPENAI_API_KEY";
    public const string OpenAIApiVersion = "OPENAI_API_VERSION";
    public const string OpenAIDeployment = "OPENAI_MODEL_DEPLOYMENT_NAME";
    public const string OpenAIPrompt = "OPENAI_PROMPT";

    /// <summary>Set (true) by the Api when it embeds the simulator.</summary>
    public const string OpenAISimulated = "OPENAI_SIMULATED";

    public const string RequestTimeoutSeconds = "AzureOpenAI:RequestTimeoutSeconds";
    public const string MaxRetries = "AzureOpenAI:MaxRetries";
    public const string MaxRetryDelaySeconds = "AzureOpenAI:MaxRetryDelaySeconds";
    public const string RetryBaseDelayMs = "AzureOpenAI:RetryBaseDelayMs";
}
