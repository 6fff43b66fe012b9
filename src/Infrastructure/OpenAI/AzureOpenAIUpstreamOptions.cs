namespace Wrapper.Infrastructure.OpenAI;

/// <summary>One Azure OpenAI resource of the pool (<c>AzureOpenAI:Upstreams:N:*</c>).</summary>
public sealed class AzureOpenAIUpstreamOptions
{
    /// <summary>Shown in logs and health; default: the endpoint's host and port. Never the key.</summary>
    public string? Name { get; set; }

    /// <summary>The resource endpoint, e.g. <c>https://my-east-resource.openai.azure.com/</c>, or its v1 API base
    /// <c>https://my-east-resource.openai.azure.com/openai/v1/</c> (which selects the v1 API).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The resource's key; absent: Entra ID (<c>DefaultAzureCredential</c>).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The deployment on this resource; default: OPENAI_MODEL_DEPLOYMENT_NAME.</summary>
    public string? Deployment { get; set; }

    /// <summary>The data-plane API version (<c>v1</c> or a dated version); default: OPENAI_API_VERSION.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>True when this upstream is called on the v1 API.</summary>
    public bool IsV1 => AzureOpenAIServiceVersions.IsV1(ApiVersion);

    /// <summary>The base address of the v1 API: the endpoint when it already ends in <c>/openai/v1/</c>, otherwise
    /// <c>{endpoint}/openai/v1/</c>.</summary>
    public Uri V1BaseAddress
    {
        get
        {
            var endpoint = Endpoint ?? throw new InvalidOperationException("Azure OpenAI options are invalid: an upstream has no endpoint.");
            var root = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
            return new Uri(IsV1Endpoint(endpoint) ? root + "/" : root + "/openai/v1/");
        }
    }

    /// <summary>True when <paramref name="endpoint"/>'s path ends in <c>/openai/v1</c> (with or without a final slash).</summary>
    public static bool IsV1Endpoint(Uri? endpoint) =>
        endpoint is { IsAbsoluteUri: true } && endpoint.AbsolutePath.TrimEnd('/').EndsWith("/openai/v1", StringComparison.OrdinalIgnoreCase);

    /// <summary>Lower is preferred (1 = first choice). Requests go to the best priority that has a healthy upstream.</summary>
    public int Priority { get; set; } = 1;

    /// <summary>Share of the requests among the healthy upstreams of the same priority (1 to 1000).</summary>
    public int Weight { get; set; } = 1;
}
