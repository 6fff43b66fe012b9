using System.Text.Json.Nodes;

namespace Wrapper.Simulator.Agents;

/// <summary>The JSON projection of the simulated Agent Service: its threads, messages, runs and agents as the wire
/// objects of the REST API (AgentWireModels.cs), and cursor paging of the list routes.</summary>
internal sealed class AgentWireProjection(long agentsCreatedAt)
{
    private static readonly TimeSpan RunLifetime = TimeSpan.FromMinutes(10);

    private readonly long _agentsCreatedAt = agentsCreatedAt;

    public AssistantObject ToObject(SimulatedAgent agent) => new(
        agent.Id, "assistant", _agentsCreatedAt, agent.Name, agent.Description, agent.Model, agent.Instructions,
        ToolsOf(agent), ToolResourcesOf(agent), 1.0, 1.0, "auto", new Dictionary<string, string>());

    public ThreadObject ToObject(SimThread thread) =>
        new(thread.Id, "thread", thread.CreatedAt, [], thread.Metadata);

    public MessageObject ToObject(SimMessage message) => new(
        message.Id, "thread.message", message.CreatedAt, message.ThreadId, "completed", null, message.CreatedAt, null,
        message.Role, [new MessageTextContent("text", new MessageText(message.Text, message.Annotations))],
        message.AssistantId, message.RunId, [], message.Metadata);

    public RunObject ToObject(SimRun run)
    {
        static long? Unix(DateTimeOffset? time) => time?.ToUnixTimeSeconds();
        var expiresAt = run.Status == "expired" ? run.ExpiredAt : AgentRunLifecycle.IsTerminal(run.Status) ? null : run.CreatedAt + RunLifetime;
        return new RunObject(
            run.Id, "thread.run", run.CreatedAt.ToUnixTimeSeconds(), run.ThreadId, run.Agent.Id, run.Status,
            RequiredAction: null, run.LastError, run.Model, run.Instructions, ToolsOf(run.Agent), ToolResourcesOf(run.Agent),
            Unix(expiresAt), Unix(run.StartedAt), Unix(run.CompletedAt), Unix(run.CancelledAt), Unix(run.FailedAt),
            IncompleteDetails: null, run.Usage, Temperature: 1.0, TopP: 1.0, MaxPromptTokens: null, MaxCompletionTokens: null,
            new TruncationStrategy("auto", null), ToolChoice: "auto", ResponseFormat: "auto", ParallelToolCalls: true,
            run.Metadata);
    }

    private static JsonArray ToolsOf(SimulatedAgent agent) => agent.Kind switch
    {
        SimulatedAgentKind.BingGrounding =>
        [
            new JsonObject
            {
                ["type"] = "bing_grounding",
                ["bing_grounding"] = new JsonObject
                {
                    ["search_configurations"] = new JsonArray(new JsonObject
                    {
                        ["connection_id"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-simulator/providers/Microsoft.CognitiveServices/accounts/simulator/projects/simulator/connections/bing-simulator",
                        ["market"] = "en-US",
                        ["set_lang"] = "en",
                        ["count"] = 5,
                        ["freshness"] = "Week",
                    }),
                },
            },
        ],
        SimulatedAgentKind.FileSearch =>
        [
            new JsonObject
            {
                ["type"] = "file_search",
                ["file_search"] = new JsonObject
                {
                    ["max_num_results"] = 20,
                    ["ranking_options"] = new JsonObject { ["ranker"] = "default_2024_08_21", ["score_threshold"] = 0.0 },
                },
            },
        ],
        _ => [],
    };

    private static JsonObject ToolResourcesOf(SimulatedAgent agent) => agent.Kind == SimulatedAgentKind.FileSearch
        ? new JsonObject { ["file_search"] = new JsonObject { ["vector_store_ids"] = new JsonArray("vs_simulator_handbook") } }
        : [];

    public static ListPage<TOut> Page<TIn, TOut>(
        IReadOnlyList<TIn> oldestFirst, Func<TIn, string> id, PageRequest request, Func<TIn, TOut> map, string kind)
    {
        var ordered = request.Order == "asc" ? oldestFirst.ToList() : oldestFirst.Reverse().ToList();
        var from = 0;
        var to = ordered.Count; // exclusive
        if (request.After is { } after)
        {
            from = IndexOf(after, "after") + 1;
        }

        if (request.Before is { } before)
        {
            to = IndexOf(before, "before");
        }

        var window = from < to ? ordered.GetRange(from, to - from) : [];
        // "before" alone pages backwards: the page is the items right before the cursor, in the requested order.
        var page = request.Before is not null && request.After is null
            ? window.Skip(Math.Max(0, window.Count - request.Limit)).ToList()
            : window.Take(request.Limit).ToList();
        var data = page.Select(map).ToList();
        return new ListPage<TOut>(
            "list",
            data,
            page.Count > 0 ? id(page[0]) : null,
            page.Count > 0 ? id(page[^1]) : null,
            window.Count > page.Count);

        int IndexOf(string cursor, string param)
        {
            var index = ordered.FindIndex(item => id(item) == cursor);
            return index >= 0
                ? index
                : throw AgentApiException.BadRequest($"Invalid '{param}': no {kind} with id '{cursor}' in this list.", param);
        }
    }
}
