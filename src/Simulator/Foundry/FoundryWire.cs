using System.Text.Json.Nodes;
using Wrapper.Simulator.Agents;

namespace Wrapper.Simulator.Foundry;

/// <summary>
/// The JSON of the new Agent Service as it travels: agents and agent versions
/// (specification/ai-foundry/Azure.AI.Projects/agents/models.tsp: <c>AgentObject</c>, <c>AgentVersionObject</c>,
/// <c>PromptAgentDefinition</c>), conversations and their items, and responses (the OpenAI Responses and Conversations
/// shapes of .external-readonly/openai.external.typespec, extended by responses/models.tsp with <c>agent</c> and
/// <c>created_by</c>). Null members are written as null, as the service does.
/// </summary>
internal static class FoundryWire
{
    /// <summary>The Bing connection id the simulated Bing grounding tool names.</summary>
    public const string BingConnectionId =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-simulator/providers/Microsoft.CognitiveServices/accounts/simulator/projects/simulator/connections/bing-simulator";

    public static JsonObject Agent(NamedAgentVersion latest) => new()
    {
        ["object"] = "agent",
        ["id"] = latest.Name,
        ["name"] = latest.Name,
        ["versions"] = new JsonObject { ["latest"] = AgentVersion(latest) },
    };

    public static JsonObject AgentVersion(NamedAgentVersion version) => new()
    {
        ["object"] = "agent.version",
        ["id"] = version.Id,
        ["name"] = version.Name,
        ["version"] = version.Version,
        ["description"] = version.Description,
        ["created_at"] = version.CreatedAt,
        ["metadata"] = Metadata(version.Metadata),
        ["definition"] = version.Definition.DeepClone(),
    };

    /// <summary>The prompt agent definition of a seeded agent: model, instructions and the tools of its kind.</summary>
    public static JsonObject Definition(string model, string instructions, SimulatedAgentKind kind) => new()
    {
        ["kind"] = "prompt",
        ["model"] = model,
        ["instructions"] = instructions,
        ["tools"] = ToolsOf(kind),
    };

    public static JsonArray ToolsOf(SimulatedAgentKind kind) => kind switch
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
                        ["project_connection_id"] = BingConnectionId,
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
            new JsonObject { ["type"] = "file_search", ["vector_store_ids"] = new JsonArray("vs_simulator_handbook") },
        ],
        _ => [],
    };

    public static JsonObject Conversation(SimConversation conversation) => new()
    {
        ["id"] = conversation.Id,
        ["object"] = "conversation",
        ["created_at"] = conversation.CreatedAt,
        ["metadata"] = Metadata(conversation.Metadata),
    };

    public static JsonObject ConversationDeleted(string id) => new()
    {
        ["id"] = id,
        ["object"] = "conversation.deleted",
        ["deleted"] = true,
    };

    /// <summary>A message item: user/system/developer text is <c>input_text</c>, assistant text <c>output_text</c> with
    /// its annotations.</summary>
    public static JsonObject Item(MessageItem item, string status = "completed")
    {
        var json = new JsonObject
        {
            ["id"] = item.Id,
            ["type"] = "message",
            ["status"] = status,
            ["role"] = item.Role,
            ["content"] = new JsonArray(item.Role == "assistant" ? OutputText(item.Text, item.Annotations) : InputText(item.Text)),
        };
        if (item.Agent is not null || item.ResponseId is not null)
        {
            json["created_by"] = new JsonObject
            {
                ["agent"] = item.Agent is null ? null : AgentId(item.Agent),
                ["response_id"] = item.ResponseId,
            };
        }

        return json;
    }

    public static JsonObject InputText(string text) => new() { ["type"] = "input_text", ["text"] = text };

    public static JsonObject OutputText(string text, IReadOnlyList<TextAnnotation> annotations) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray([.. annotations.Select(Annotation)]),
        ["logprobs"] = new JsonArray(),
    };

    /// <summary>A Responses annotation: <c>url_citation</c> {url, title, start_index, end_index} or <c>file_citation</c>
    /// {file_id, filename, index}; the indexes are UTF-16 offsets of the marker in the text.</summary>
    public static JsonObject Annotation(TextAnnotation annotation) => annotation.UrlCitation is { } url
        ? new JsonObject
        {
            ["type"] = "url_citation",
            ["url"] = url.Url,
            ["title"] = url.Title,
            ["start_index"] = annotation.StartIndex,
            ["end_index"] = annotation.EndIndex,
        }
        : new JsonObject
        {
            ["type"] = "file_citation",
            ["file_id"] = annotation.FileCitation?.FileId,
            ["filename"] = FileNameOf(annotation.FileCitation?.FileId),
            ["index"] = annotation.StartIndex,
        };

    public static JsonObject AgentId(NamedAgentVersion agent) => new()
    {
        ["type"] = "agent_id",
        ["name"] = agent.Name,
        ["version"] = agent.Version,
    };

    /// <summary>The response object. While it runs (<paramref name="snapshot"/> of a stream) output is empty.</summary>
    public static JsonObject Response(SimResponse response, bool snapshot = false)
    {
        var output = new JsonArray();
        if (!snapshot && response.Output is { } message)
        {
            output.Add(Item(message));
        }

        var usage = snapshot ? null : response.Usage;
        return new JsonObject
        {
            ["id"] = response.Id,
            ["object"] = "response",
            ["created_at"] = response.CreatedAt,
            ["status"] = snapshot ? "in_progress" : response.Status,
            ["background"] = false,
            ["error"] = snapshot || response.Error is null
                ? null
                : new JsonObject { ["code"] = response.Error.Code, ["message"] = response.Error.Message },
            ["incomplete_details"] = null,
            ["instructions"] = response.Instructions,
            ["max_output_tokens"] = null,
            ["model"] = response.Model,
            ["output"] = output,
            ["parallel_tool_calls"] = true,
            ["previous_response_id"] = response.PreviousResponseId,
            ["reasoning"] = null,
            ["store"] = response.Store,
            ["temperature"] = 1.0,
            ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
            ["tool_choice"] = "auto",
            ["tools"] = response.Agent?.Definition["tools"]?.DeepClone() ?? new JsonArray(),
            ["top_p"] = 1.0,
            ["truncation"] = "disabled",
            ["usage"] = usage is null
                ? null
                : new JsonObject
                {
                    ["input_tokens"] = usage.InputTokens,
                    ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
                    ["output_tokens"] = usage.OutputTokens,
                    ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
                    ["total_tokens"] = usage.TotalTokens,
                },
            ["user"] = null,
            ["metadata"] = Metadata(response.Metadata),
            ["conversation"] = response.ConversationId is null ? null : new JsonObject { ["id"] = response.ConversationId },
            ["agent"] = response.Agent is null ? null : AgentId(response.Agent),
        };
    }

    public static JsonObject List(IReadOnlyList<JsonObject> data, string? firstId, string? lastId, bool hasMore) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray([.. data]),
        ["first_id"] = firstId,
        ["last_id"] = lastId,
        ["has_more"] = hasMore,
    };

    private static JsonObject Metadata(IReadOnlyDictionary<string, string> metadata)
    {
        var json = new JsonObject();
        foreach (var (key, value) in metadata)
        {
            json[key] = value;
        }

        return json;
    }

    private static string? FileNameOf(string? fileId) => fileId switch
    {
        null => null,
        "assistant-SimHandbook01" => "employee-handbook.pdf",
        "assistant-SimOnboarding02" => "onboarding-checklist.pdf",
        _ => fileId + ".pdf",
    };
}
