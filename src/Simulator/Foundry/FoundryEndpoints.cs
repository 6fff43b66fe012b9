using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wrapper.Simulator.Agents;
using static Wrapper.Simulator.Agents.AgentRequestReader;

namespace Wrapper.Simulator.Foundry;

/// <summary>
/// The routes of the new Azure AI Foundry Agent Service, under the project endpoint path <c>/api/projects/{project}</c>:
/// agents by name and version (<c>/agents/{agent_name}[/versions[/{agent_version}]]</c>, api-version required), and the
/// OpenAI-compatible conversations and responses under <c>/openai/v1</c> (api-version optional, <c>v1</c> when sent).
/// The same <see cref="AgentRequestFilter"/> as the classic routes applies faults (target <c>agents</c>), the bearer token
/// and the api-version rule. Sources and route table: src/Simulator/README.md.
/// </summary>
public static class FoundryEndpoints
{
    /// <summary>Where the routes are served: the project endpoint path of Azure AI Foundry.</summary>
    public const string ProjectPrefix = "/api/projects/{project}";

    /// <summary>The simulator's own route reporting <see cref="FoundryStore.GetCounters"/> (GET) and resetting it (DELETE).</summary>
    public const string StateRoute = "/_simulator/foundry/state";

    /// <summary>Agents by name and version: <c>api-version</c> required, <c>v1</c> (the REST reference's version) or
    /// <c>2025-11-15-preview</c> (the preview that introduced them; specification/ai-foundry/Azure.AI.Projects/agents/routes.tsp).</summary>
    public static ApiVersionRule AgentsRule { get; } = new(["v1", "2025-11-15-preview"], Required: true);

    /// <summary>The OpenAI v1 routes of the project (<c>{project}/openai/v1/...</c>): like Azure OpenAI's v1 API,
    /// <c>api-version</c> may be left out and, when sent, is <c>v1</c>.</summary>
    public static ApiVersionRule OpenAIV1Rule { get; } = new(["v1"], Required: false);

    /// <summary>Registers the <see cref="FoundryStore"/>. Expects <see cref="SimulatorOptions"/> as a singleton.</summary>
    public static IServiceCollection AddFoundryAgentService(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new FoundryStore(sp.GetRequiredService<SimulatorOptions>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Maps the routes and <see cref="StateRoute"/>.</summary>
    public static IEndpointRouteBuilder MapFoundryAgentService(this IEndpointRouteBuilder app)
    {
        // Seeds the named agents now, so that a bad Simulator:Agents:NamedAgents entry stops the start, not a request.
        app.ServiceProvider.GetRequiredService<FoundryStore>();
        var agents = app.MapGroup(ProjectPrefix + "/agents")
            .AddEndpointFilter<AgentRequestFilter>().WithMetadata(AgentsRule).ExcludeFromDescription();
        MapAgents(agents);

        var openai = app.MapGroup(ProjectPrefix + "/openai/v1")
            .AddEndpointFilter<AgentRequestFilter>().WithMetadata(OpenAIV1Rule).ExcludeFromDescription();
        MapConversations(openai);
        MapResponses(openai);

        app.MapGet(StateRoute, (FoundryStore store) => Results.Json(store.GetCounters(), AgentJson.Options)).ExcludeFromDescription();
        app.MapDelete(StateRoute, (FoundryStore store) =>
        {
            store.Reset();
            return Results.NoContent();
        }).ExcludeFromDescription();
        return app;
    }

    private static void MapAgents(RouteGroupBuilder agents)
    {
        agents.MapGet("/{agent_name}", (string agent_name, FoundryStore store) => Ok(store.GetAgent(agent_name)));
        agents.MapPost("/{agent_name}/versions", async (string agent_name, HttpRequest request, FoundryStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: true, ct);
            return Ok(store.CreateAgentVersion(agent_name, FoundryRequestReader.AgentVersion(body)));
        });
        agents.MapGet("/{agent_name}/versions", (string agent_name, HttpRequest request, FoundryStore store) =>
            Ok(store.ListAgentVersions(agent_name, Page(request.Query))));
        agents.MapGet("/{agent_name}/versions/{agent_version}", (string agent_name, string agent_version, FoundryStore store) =>
            Ok(store.GetAgentVersion(agent_name, agent_version)));
    }

    private static void MapConversations(RouteGroupBuilder openai)
    {
        openai.MapPost("/conversations", async (HttpRequest request, FoundryStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: false, ct);
            return Ok(store.CreateConversation(FoundryRequestReader.Items(body, required: false), Metadata(body)));
        });
        openai.MapGet("/conversations/{conversation_id}", (string conversation_id, FoundryStore store) =>
            Ok(store.GetConversation(conversation_id)));
        openai.MapPost("/conversations/{conversation_id}", async (string conversation_id, HttpRequest request, FoundryStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: true, ct);
            return body["metadata"] is null
                ? throw AgentApiException.BadRequest("Missing required parameter: 'metadata'.", "metadata")
                : Ok(store.UpdateConversation(conversation_id, Metadata(body)));
        });
        openai.MapDelete("/conversations/{conversation_id}", (string conversation_id, FoundryStore store) =>
            Ok(store.DeleteConversation(conversation_id)));
        openai.MapPost("/conversations/{conversation_id}/items", async (string conversation_id, HttpRequest request, FoundryStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: true, ct);
            return Ok(store.AddItems(conversation_id, FoundryRequestReader.Items(body, required: true)));
        });
        openai.MapGet("/conversations/{conversation_id}/items", (string conversation_id, HttpRequest request, FoundryStore store) =>
            Ok(store.ListItems(conversation_id, Page(request.Query), Cursor(request.Query, "item_type"))));
        openai.MapGet("/conversations/{conversation_id}/items/{item_id}", (string conversation_id, string item_id, FoundryStore store) =>
            Ok(store.GetItem(conversation_id, item_id)));
        openai.MapDelete("/conversations/{conversation_id}/items/{item_id}", (string conversation_id, string item_id, FoundryStore store) =>
            Ok(store.DeleteItem(conversation_id, item_id)));
    }

    private static void MapResponses(RouteGroupBuilder openai)
    {
        openai.MapPost("/responses", async (HttpContext http, FoundryStore store, SimulatorOptions options, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(http.Request, required: true, ct);
            var request = FoundryRequestReader.Response(body);
            var response = store.Prepare(request);
            if (request.Stream)
            {
                return new ResponseEventStream(store, response, options);
            }

            if (response.Outcome == RunOutcome.Slow)
            {
                try
                {
                    await Task.Delay(Math.Max(0, options.Agents.SlowRunMs), ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    store.Abandon(response);
                    return Results.Empty;
                }
            }

            return Ok(FoundryWire.Response(store.Finish(response)));
        });
        openai.MapGet("/responses/{response_id}", (string response_id, FoundryStore store) => Ok(store.GetResponse(response_id)));
    }

    private static IResult Ok(JsonObject value) => Results.Json(value, AgentJson.Options);
}
