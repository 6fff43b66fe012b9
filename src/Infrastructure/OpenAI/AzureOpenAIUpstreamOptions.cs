namespace Wrapper.Infrastructure.OpenAI;

/// <summary>One Azure OpenAI resource of the pool (<c>AzureOpenAI:Upstreams:N:*</c>).</summary>
public sealed class AzureOpenAIUpstreamOptions
{
    /// <summary>Shown in logs and health; default: the endpoint's host and port. Never the key.</summary>
    public string? Name { get; set; }

    /// <summary>The resource endpoint, e.g. <c>https://my-east-resource.openai.azure.com/</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The resource's key; absent: Entra ID (<c>DefaultAzureCredential</c>).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The deployment on this resource; default: OPENAI_MODEL_DEPLOYMENT_NAME.</summary>
    public string? Deployment { get; set; }

    /// <summary>The data-plane API version; default: OPENAI_API_VERSION.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Lower is preferred (1 = first choice). Requests go to the best priority that has a healthy upstream.</summary>
    public int Priority { get; set; } = 1;

    /// <summary>Share of the requests among the healthy upstreams of the same priority (1 to 1000).</summary>
    public int Weight { get; set; } = 1;
}
