using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Wrapper.Simulator.Agents.AgentRequestReader;

namespace Wrapper.Simulator.Agents;

/// <summary>
/// The Azure AI Foundry Agent Service routes (as called by the official <c>@azure/ai-agents</c> 1.1.0 client), served
/// at the root and under a project path <c>/api/projects/{project}</c>. See src/Simulator/Agents/README.md.
/// </summary>
public static class AgentServiceEndpoints
{
    /// <summary>Prefixes the routes are served under: none, and the project endpoint path of Azure AI Foundry.</summary>
    public static IReadOnlyList<string> RoutePrefixes { get; } = ["", "/api/projects/{project}"];

    /// <summary>The simulator's own route reporting <see cref="AgentStore.GetCounters"/> (GET) and resetting it (DELETE).</summary>
    public const string StateRoute = "/_simulator/agents/state";

    /// <summary>
    /// Registers the <see cref="AgentStore"/> (a singleton over <see cref="SimulatorOptions.Agents"/>) and a
    /// <see cref="TimeProvider"/> if none is registered. Expects <see cref="SimulatorOptions"/> and
    /// <see cref="FaultInjector"/> to be registered as singletons.
    /// </summary>
    public static IServiceCollection AddAgentService(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AgentStore(
            sp.GetRequiredService<SimulatorOptions>().Agents,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Maps the Agent Service routes and <see cref="StateRoute"/>.</summary>
    public static IEndpointRouteBuilder MapAgentService(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in RoutePrefixes)
        {
            var routes = app.MapGroup(prefix).AddEndpointFilter<AgentRequestFilter>().ExcludeFromDescription();
            MapRoutes(routes);
        }

        app.MapGet(StateRoute, (AgentStore store) => Results.Json(store.GetCounters(), AgentJson.Options))
            .ExcludeFromDescription();
        app.MapDelete(StateRoute, (AgentStore store) =>
        {
            store.Reset();
            return Results.NoContent();
        }).ExcludeFromDescription();
        return app;
    }

    private static void MapRoutes(RouteGroupBuilder routes)
    {
        // Agents ("assistants" on the wire).
        routes.MapGet("/assistants", (HttpRequest request, AgentStore store) =>
            Ok(store.ListAssistants(Page(request.Query))));
        routes.MapGet("/assistants/{assistantId}", (string assistantId, AgentStore store) =>
            Ok(store.GetAssistant(assistantId)));

        // Threads.
        routes.MapPost("/threads", async (HttpRequest request, AgentStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: false, ct);
            return Ok(store.CreateThread(Messages(body, "messages"), Metadata(body)));
        });
        routes.MapGet("/threads", (HttpRequest request, AgentStore store) =>
            Ok(store.ListThreads(Page(request.Query))));
        routes.MapGet("/threads/{threadId}", (string threadId, AgentStore store) =>
            Ok(store.GetThread(threadId)));
        routes.MapPost("/threads/{threadId}", async (string threadId, HttpRequest request, AgentStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: false, ct);
            return Ok(store.UpdateThread(threadId, Metadata(body)));
        });
        routes.MapDelete("/threads/{threadId}", (string threadId, AgentStore store) =>
            Ok(store.DeleteThread(threadId)));

        // Messages.
        routes.MapPost("/threads/{threadId}/messages", async (string threadId, HttpRequest request, AgentStore store, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: true, ct);
            return Ok(store.AddMessage(threadId, Message(body)));
        });
        routes.MapGet("/threads/{threadId}/messages", (string threadId, HttpRequest request, AgentStore store) =>
            Ok(store.ListMessages(threadId, Page(request.Query), Cursor(request.Query, "run_id"))));
        routes.MapGet("/threads/{threadId}/messages/{messageId}", (string threadId, string messageId, AgentStore store) =>
            Ok(store.GetMessage(threadId, messageId)));

        // Runs.
        routes.MapPost("/threads/runs", async (HttpRequest request, AgentStore store, SimulatorOptions options, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: true, ct);
            var run = Run(body);
            var thread = body["thread"] switch
            {
                null => [],
                System.Text.Json.Nodes.JsonObject threadOptions => threadOptions,
                _ => throw AgentApiException.BadRequest("Invalid type for 'thread': expected an object.", "thread"),
            };
            var created = store.CreateThreadAndRun(Messages(thread, "messages", "thread.messages"), Metadata(thread, "thread.metadata"), run);
            return run.Stream ? new RunEventStream(store, created, store.GetThread(created.ThreadId), options) : Ok(created);
        });
        routes.MapPost("/threads/{threadId}/runs", async (string threadId, HttpRequest request, AgentStore store, SimulatorOptions options, CancellationToken ct) =>
        {
            var body = await ReadBodyAsync(request, required: true, ct);
            var run = Run(body);
            var created = store.CreateRun(threadId, run);
            return run.Stream ? new RunEventStream(store, created, createdThread: null, options) : Ok(created);
        });
        routes.MapGet("/threads/{threadId}/runs", (string threadId, HttpRequest request, AgentStore store) =>
            Ok(store.ListRuns(threadId, Page(request.Query))));
        routes.MapGet("/threads/{threadId}/runs/{runId}", (string threadId, string runId, AgentStore store) =>
            Ok(store.GetRun(threadId, runId)));
        routes.MapPost("/threads/{threadId}/runs/{runId}/cancel", (string threadId, string runId, AgentStore store) =>
            Ok(store.CancelRun(threadId, runId)));
    }

    private static IResult Ok<T>(T value) => Results.Json(value, AgentJson.Options);
}
