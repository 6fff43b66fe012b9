namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// <c>GET /openai/models?api-version=...</c> (Models_List of the dated authoring spec) and <c>GET /openai/v1/models</c>
/// (listModels of the v1 spec): the models the resource can use. Costs no tokens and is not rate limited, so health
/// probes use it to check the endpoint and the credentials. It lists models, not deployments: a deployment's existence
/// is never read from it. Checked in order: api-version (404/400), key or token (401).
/// </summary>
internal static class ModelsEndpoint
{
    public const string Route = "/openai/models";
    public const string V1Route = "/openai/v1/models";

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Route, HandleDated)
            .WithSimulatorFaults(FaultInjector.OpenAITarget)
            .WithName("SimulatedModels");
        endpoints.MapGet(V1Route, HandleV1)
            .WithSimulatorFaults(FaultInjector.OpenAITarget)
            .WithName("SimulatedModelsV1");
        return endpoints;
    }

    private static IResult HandleDated(HttpRequest request, SimulatorOptions options, TimeProvider time)
    {
        if (OpenAIApiVersions.CheckDated(request) is { } refused)
        {
            return refused;
        }

        if (ChatCompletionsEndpoint.Authenticate(request, options) is { } denied)
        {
            return denied;
        }

        // The authoring spec's Model: id, status, capabilities, lifecycle_status, created_at, object.
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        return Results.Json(new
        {
            data = options.Deployments.Select(name => new
            {
                id = name,
                status = "succeeded",
                capabilities = new { fine_tune = false, inference = true, completion = false, chat_completion = true, embeddings = false },
                lifecycle_status = "generally-available",
                created_at = created,
                @object = "model",
            }),
            @object = "list",
        });
    }

    private static IResult HandleV1(HttpRequest request, SimulatorOptions options, TimeProvider time)
    {
        if (OpenAIApiVersions.CheckV1(request) is { } refused)
        {
            return refused;
        }

        if (ChatCompletionsEndpoint.Authenticate(request, options, v1: true) is { } denied)
        {
            return denied;
        }

        // OpenAI's Model: id, object, created, owned_by.
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        return Results.Json(new
        {
            @object = "list",
            data = options.Deployments.Select(name => new { id = name, @object = "model", created, owned_by = "system" }),
        });
    }
}
