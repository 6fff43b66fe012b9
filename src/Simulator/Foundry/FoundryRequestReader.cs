using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wrapper.Simulator.Agents;
using static Wrapper.Simulator.Agents.AgentRequestReader;

namespace Wrapper.Simulator.Foundry;

/// <summary>An input message of a request (conversation items or response input).</summary>
public sealed record InputMessage(string Role, string Text);

/// <summary>The agent a response runs: <c>agent_reference</c> {type, name, version?}. The older field name <c>agent</c>
/// (2025-11-15-preview, responses/models.tsp) is refused as the service refuses it now.</summary>
public sealed record AgentReferenceRequest(string Name, string? Version, string Param);

/// <summary>A <c>POST /openai/v1/responses</c> body as the simulator understands it.</summary>
public sealed record NewResponse(
    AgentReferenceRequest? Agent,
    string? Model,
    IReadOnlyList<InputMessage> Input,
    string? ConversationId,
    string? PreviousResponseId,
    string? Instructions,
    IReadOnlyDictionary<string, string>? Metadata,
    bool Stream,
    bool Store);

/// <summary>A <c>POST /agents/{name}/versions</c> body: a prompt agent definition.</summary>
public sealed record NewAgentVersion(
    string Model,
    string? Instructions,
    SimulatedAgentKind Kind,
    JsonObject Definition,
    string? Description,
    IReadOnlyDictionary<string, string>? Metadata);

/// <summary>Reads the new Agent Service's request bodies; bad input becomes a 400 <see cref="AgentApiException"/>.</summary>
internal static partial class FoundryRequestReader
{
    /// <summary>Conversations accept up to 20 items per call (OpenAI <c>CreateConversationBody.items</c>).</summary>
    public const int MaxItemsPerCall = 20;

    /// <summary>Agent names: alphanumeric at both ends, hyphens inside, at most 63 characters (agents/routes.tsp).</summary>
    public static void CheckAgentName(string name)
    {
        if (!AgentName().IsMatch(name))
        {
            throw AgentApiException.BadRequest(
                $"Invalid agent name '{name}': it must start and end with a letter or digit, contain only letters, digits and hyphens, and be at most 63 characters long.",
                "agent_name");
        }
    }

    public static NewAgentVersion AgentVersion(JsonObject body)
    {
        if (body["definition"] is not JsonObject definition)
        {
            throw body["definition"] is null
                ? AgentApiException.BadRequest("Missing required parameter: 'definition'.", "definition")
                : AgentApiException.BadRequest("Invalid type for 'definition': expected an object.", "definition");
        }

        var kind = RequiredString(definition, "kind", "definition.kind");
        if (kind != "prompt")
        {
            throw AgentApiException.BadRequest(
                $"Invalid value for 'definition.kind': '{kind}'. The simulator serves prompt agents only ('prompt').", "definition.kind");
        }

        var model = RequiredString(definition, "model", "definition.model");
        var instructions = definition["instructions"] is null ? null : OptionalString(definition, "instructions", "definition.instructions");
        var toolKind = SimulatedAgentKind.Plain;
        switch (definition["tools"])
        {
            case null:
                break;
            case JsonArray tools:
                for (var i = 0; i < tools.Count; i++)
                {
                    var path = string.Create(CultureInfo.InvariantCulture, $"definition.tools[{i}]");
                    if (tools[i] is not JsonObject tool || OptionalString(tool, "type", $"{path}.type") is not { } type)
                    {
                        throw AgentApiException.BadRequest($"Invalid '{path}': expected an object with a 'type'.", path);
                    }

                    toolKind = type switch
                    {
                        "bing_grounding" => SimulatedAgentKind.BingGrounding,
                        "file_search" when toolKind == SimulatedAgentKind.Plain => SimulatedAgentKind.FileSearch,
                        _ => toolKind,
                    };
                }

                break;
            default:
                throw AgentApiException.BadRequest("Invalid type for 'definition.tools': expected an array.", "definition.tools");
        }

        var description = OptionalString(body, "description");
        if (description is { Length: > 512 })
        {
            throw AgentApiException.BadRequest("Invalid 'description': at most 512 characters are allowed.", "description");
        }

        return new NewAgentVersion(model, instructions, toolKind, (JsonObject)definition.DeepClone(), description, Metadata(body));
    }

    public static NewResponse Response(JsonObject body)
    {
        if (body.ContainsKey("agent"))
        {
            // What the service answers since the field was renamed (Azure/azure-sdk-for-js#39083,
            // MicrosoftLearning/mslearn-ai-agents#193): a 400 invalid_payload naming the field.
            throw new AgentApiException(StatusCodes.Status400BadRequest, "invalid_payload",
                "The 'agent' property is deprecated. Use 'agent_reference' instead.", "agent");
        }

        var agent = AgentReference(body, "agent_reference");
        var model = OptionalString(body, "model");
        if (agent is null && model is null)
        {
            throw AgentApiException.BadRequest(
                "Missing required parameter: 'agent_reference' (or 'model' for a response without an agent).", "agent_reference");
        }

        var conversation = body["conversation"] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<string>(out var id) => id,
            JsonObject reference => RequiredString(reference, "id", "conversation.id"),
            _ => throw AgentApiException.BadRequest("Invalid type for 'conversation': expected a string or an object with an 'id'.", "conversation"),
        };
        var previous = OptionalString(body, "previous_response_id");
        if (conversation is not null && previous is not null)
        {
            throw AgentApiException.BadRequest(
                "Mutually exclusive parameters: 'previous_response_id' and 'conversation'. Send one of them.", "conversation");
        }

        return new NewResponse(
            agent,
            model,
            Input(body),
            conversation,
            previous,
            OptionalString(body, "instructions"),
            Metadata(body),
            Flag(body, "stream", false),
            Flag(body, "store", true));
    }

    /// <summary>The <c>items</c> of a conversation request (absent = none; at most <see cref="MaxItemsPerCall"/>).</summary>
    public static IReadOnlyList<InputMessage> Items(JsonObject body, bool required)
    {
        switch (body["items"])
        {
            case null when required:
                throw AgentApiException.BadRequest("Missing required parameter: 'items'.", "items");
            case null:
                return [];
            case JsonArray items:
                if (items.Count > MaxItemsPerCall)
                {
                    throw AgentApiException.BadRequest(
                        $"Invalid 'items': at most {MaxItemsPerCall} items may be added at a time, got {items.Count}.", "items");
                }

                if (required && items.Count == 0)
                {
                    throw AgentApiException.BadRequest("Invalid 'items': expected at least one item.", "items");
                }

                return [.. items.Select((item, i) => Message(item, string.Create(CultureInfo.InvariantCulture, $"items[{i}]")))];
            default:
                throw AgentApiException.BadRequest("Invalid type for 'items': expected an array.", "items");
        }
    }

    private static IReadOnlyList<InputMessage> Input(JsonObject body) => body["input"] switch
    {
        null => [],
        JsonValue value when value.TryGetValue<string>(out var text) => string.IsNullOrWhiteSpace(text)
            ? throw AgentApiException.BadRequest("Invalid 'input': the text must not be empty.", "input")
            : [new InputMessage("user", text)],
        JsonArray items => [.. items.Select((item, i) => Message(item, string.Create(CultureInfo.InvariantCulture, $"input[{i}]")))],
        _ => throw AgentApiException.BadRequest("Invalid type for 'input': expected a string or an array of input items.", "input"),
    };

    /// <summary>A message item: <c>{"type":"message"?, "role", "content": "..." | [{"type":"input_text"|"output_text", "text"}]}</c>.</summary>
    private static InputMessage Message(JsonNode? node, string path)
    {
        if (node is not JsonObject item)
        {
            throw AgentApiException.BadRequest($"Invalid type for '{path}': expected an object.", path);
        }

        var type = OptionalString(item, "type", $"{path}.type") ?? "message";
        if (type != "message")
        {
            throw AgentApiException.BadRequest(
                $"Invalid value for '{path}.type': '{type}'. The simulator accepts message items only.", $"{path}.type");
        }

        var role = RequiredString(item, "role", $"{path}.role");
        if (role is not ("user" or "assistant" or "system" or "developer"))
        {
            throw AgentApiException.BadRequest(
                $"Invalid value for '{path}.role': '{role}'. Supported values are: 'user', 'assistant', 'system' and 'developer'.", $"{path}.role");
        }

        var text = item["content"] switch
        {
            JsonValue value when value.TryGetValue<string>(out var s) => s,
            JsonArray parts => TextOf(parts, $"{path}.content"),
            null => throw AgentApiException.BadRequest($"Missing required parameter: '{path}.content'.", $"{path}.content"),
            _ => throw AgentApiException.BadRequest(
                $"Invalid type for '{path}.content': expected a string or an array of content parts.", $"{path}.content"),
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            throw AgentApiException.BadRequest($"Invalid '{path}.content': the message content must not be empty.", $"{path}.content");
        }

        return new InputMessage(role, text);
    }

    private static string TextOf(JsonArray parts, string path)
    {
        var texts = new List<string>(parts.Count);
        for (var i = 0; i < parts.Count; i++)
        {
            var partPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
            if (parts[i] is not JsonObject part || OptionalString(part, "type", $"{partPath}.type") is not { } type)
            {
                throw AgentApiException.BadRequest($"Invalid '{partPath}': expected an object with a 'type'.", partPath);
            }

            if (type is not ("input_text" or "output_text"))
            {
                throw AgentApiException.BadRequest(
                    $"Invalid value for '{partPath}.type': '{type}'. The simulator accepts 'input_text' and 'output_text' parts only.",
                    $"{partPath}.type");
            }

            texts.Add(RequiredString(part, "text", $"{partPath}.text"));
        }

        return string.Join("\n", texts);
    }

    private static AgentReferenceRequest? AgentReference(JsonObject body, string name)
    {
        switch (body[name])
        {
            case null:
                return null;
            case JsonObject reference:
                var type = OptionalString(reference, "type", $"{name}.type");
                if (type is not null and not "agent_reference")
                {
                    throw AgentApiException.BadRequest(
                        $"Invalid value for '{name}.type': '{type}'. Expected 'agent_reference'.", $"{name}.type");
                }

                var agentName = RequiredString(reference, "name", $"{name}.name");
                if (agentName.Length > 256)
                {
                    throw AgentApiException.BadRequest($"Invalid '{name}.name': at most 256 characters are allowed.", $"{name}.name");
                }

                return new AgentReferenceRequest(agentName, OptionalString(reference, "version", $"{name}.version"), name);
            default:
                throw AgentApiException.BadRequest($"Invalid type for '{name}': expected an object.", name);
        }
    }

    private static bool Flag(JsonObject body, string name, bool fallback) => body[name] switch
    {
        null => fallback,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        _ => throw AgentApiException.BadRequest($"Invalid type for '{name}': expected a boolean.", name),
    };

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex AgentName();
}
