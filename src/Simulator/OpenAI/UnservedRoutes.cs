namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// Every other <c>/openai/...</c> path, whatever the method: Azure's 404 <c>{"error":{"code":"404","message":"Resource
/// not found"}}</c>. Among them <c>GET /openai/deployments/{deployment}</c> and <c>GET /openai/deployments</c>, which the
/// data plane defined only up to api-version 2023-03-15-preview (authoring spec; removed in 2023-05-15) — older than
/// any version Azure.AI.OpenAI 2.9.0-beta.1 sends, so a client relying on them fails here as it would on Azure.
/// </summary>
internal static class UnservedRoutes
{
    public const string Route = "/openai/{**path}";

    public static IEndpointRouteBuilder MapUnservedOpenAIRoutes(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map(Route, OpenAIApiVersions.NotFound).WithName("UnservedOpenAIRoute");
        return endpoints;
    }
}
