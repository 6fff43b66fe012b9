namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// The Azure OpenAI API versions the simulator serves, and how it answers the others. Dated versions travel in the
/// <c>api-version</c> query parameter of <c>/openai/...</c> routes (required); the v1 API lives under
/// <c>/openai/v1/...</c>, where <c>api-version</c> is optional and, when sent, must be <c>v1</c>. The route table and its
/// sources in Azure/azure-rest-api-specs are in src/Simulator/README.md.
/// </summary>
internal static class OpenAIApiVersions
{
    /// <summary>The v1 API (GA August 2025): specification/ai/data-plane/OpenAI.v1/azure-v1-v1-generated.json.</summary>
    public const string V1 = "v1";

    /// <summary>The dated versions Azure.AI.OpenAI 2.9.0-beta.1 can send, oldest first. Each has an inference spec
    /// (specification/cognitiveservices/data-plane/AzureOpenAI/inference/{stable|preview}/{version}/inference.json) and
    /// an authoring spec (.../AzureOpenAI/authoring/{stable|preview}/{version}/azureopenai.json).</summary>
    public static IReadOnlyList<string> Dated { get; } =
    [
        "2024-06-01",
        "2024-08-01-preview",
        "2024-09-01-preview",
        "2024-10-01-preview",
        "2024-10-21",
        "2024-12-01-preview",
        "2025-01-01-preview",
        "2025-03-01-preview",
        "2025-04-01-preview",
    ];

    /// <summary>Azure's answer to a dated route called without, or with an unknown, api-version; null when accepted.</summary>
    public static IResult? CheckDated(HttpRequest request)
    {
        var apiVersion = request.Query["api-version"].ToString();
        if (apiVersion.Length == 0)
        {
            return NotFound();
        }

        return Dated.Contains(apiVersion, StringComparer.Ordinal)
            ? null
            : AzureErrors.Result(StatusCodes.Status400BadRequest, "BadRequest", "API version not supported");
    }

    /// <summary>Azure's answer to a v1 route called with an api-version other than <c>v1</c>; null when accepted.</summary>
    public static IResult? CheckV1(HttpRequest request)
    {
        var apiVersion = request.Query["api-version"].ToString();
        return apiVersion.Length == 0 || string.Equals(apiVersion, V1, StringComparison.Ordinal)
            ? null
            : AzureErrors.Result(StatusCodes.Status400BadRequest, "BadRequest", "API version not supported");
    }

    /// <summary>What Azure answers for a route it does not serve: 404 <c>{"error":{"code":"404","message":"Resource not found"}}</c>.</summary>
    public static IResult NotFound() => AzureErrors.Result(StatusCodes.Status404NotFound, "404", "Resource not found");
}
