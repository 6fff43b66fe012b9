namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// <c>GET /openai/deployments/{deployment}?api-version=...</c>: the deployment's description, as Azure's data plane
/// serves it for key auth. Costs no tokens and is not rate limited, so health probes use it. Checked in the same order
/// as chat completions: api-version (404/400), key (401), deployment (404).
/// </summary>
internal static class DeploymentEndpoint
{
    public const string Route = "/openai/deployments/{deployment}";

    public static IEndpointRouteBuilder MapDeployment(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Route, Handle)
            .WithSimulatorFaults(FaultInjector.OpenAITarget)
            .WithName("SimulatedDeployment");
        return endpoints;
    }

    private static IResult Handle(string deployment, HttpRequest request, SimulatorOptions options, TimeProvider time)
    {
        var apiVersion = request.Query["api-version"].ToString();
        if (apiVersion.Length == 0)
        {
            return AzureErrors.Result(StatusCodes.Status404NotFound, "404", "Resource not found");
        }

        if (!ChatCompletionsEndpoint.IsSupportedApiVersion(apiVersion))
        {
            return AzureErrors.Result(StatusCodes.Status400BadRequest, "BadRequest", "API version not supported");
        }

        if (ChatCompletionsEndpoint.Authenticate(request, options) is { } denied)
        {
            return denied;
        }

        if (options.FindDeployment(deployment) is not { } name)
        {
            return AzureErrors.Result(
                StatusCodes.Status404NotFound,
                "DeploymentNotFound",
                "The API deployment for this resource does not exist. If you created the deployment within the last "
                + "5 minutes, please wait a moment and try again.");
        }

        var created = time.GetUtcNow().ToUnixTimeSeconds();
        return Results.Json(new
        {
            id = name,
            model = name,
            owner = "organization-owner",
            status = "succeeded",
            created_at = created,
            updated_at = created,
            @object = "deployment",
        });
    }
}
