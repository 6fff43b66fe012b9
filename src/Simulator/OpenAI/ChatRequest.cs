using System.Text;
using System.Text.Json;

namespace Wrapper.Simulator.OpenAI;

/// <summary>One prompt message: its role, its text (all text parts joined) and its optional name.</summary>
internal sealed record PromptMessage(string Role, string Text, string? Name);

/// <summary>One function the request offers (<c>tools[i]</c> of type <c>function</c>): its name and its parameters'
/// JSON schema, if any.</summary>
internal sealed record ToolDefinition(string Name, JsonElement? Parameters);

/// <summary>What the simulator reads from a chat-completions request.</summary>
internal sealed record ChatRequest(IReadOnlyList<PromptMessage> Messages, bool Stream, bool IncludeUsage, int? MaxTokens)
{
    /// <summary>The body's <c>model</c>: the deployment on the v1 API; ignored by the dated routes, whose path names it.</summary>
    public string? Model { get; init; }

    /// <summary>The functions offered in <c>tools</c> (empty when none).</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary><c>tool_choice</c>: null (absent), <c>none</c>, <c>auto</c>, <c>required</c>, or the name of the function
    /// a named choice forces.</summary>
    public string? ToolChoice { get; init; }

    /// <summary>The function the simulated model calls: when tools are offered, <c>tool_choice</c> is not <c>none</c>, and
    /// the conversation does not end with a tool's result (the model then answers in text, from that result). The forced
    /// function of a named choice, else the first one offered.</summary>
    public ToolDefinition? ToolToCall =>
        Tools.Count == 0 || ToolChoice == "none" || Messages[^1].Role is "tool" or "function"
            ? null
            : Tools.FirstOrDefault(t => t.Name == ToolChoice) ?? Tools[0];

    /// <summary>What the answer quotes: the tool's result when the conversation ends with one, else the last user message.</summary>
    public string? AnswerBasis => Messages[^1].Role is "tool" or "function" ? Messages[^1].Text : LastUserMessage;

    public string? LastUserMessage => Messages.LastOrDefault(m => m.Role == "user")?.Text;

    public bool Mentions(string trigger) =>
        trigger.Length > 0 && Messages.Any(m => m.Text.Contains(trigger, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Reads a chat-completions body with <see cref="JsonDocument"/>, refusing what OpenAI refuses.</summary>
internal static class ChatRequestParser
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    public static async Task<(ChatRequest? Request, AzureError? Error)> ParseAsync(Stream body, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(body, default, ct);
        }
        catch (JsonException)
        {
            return (null, Invalid(
                "BadRequest",
                null,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                + "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"));
        }

        using (document)
        {
            return Parse(document.RootElement);
        }
    }

    private static (ChatRequest?, AzureError?) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, InvalidType("body", "an object", root));
        }

        if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind == JsonValueKind.Null)
        {
            return (null, Missing("messages"));
        }

        if (messagesElement.ValueKind != JsonValueKind.Array)
        {
            return (null, InvalidType("messages", "an array of objects", messagesElement));
        }

        if (messagesElement.GetArrayLength() == 0)
        {
            return (null, Invalid(
                "empty_array",
                "messages",
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."));
        }

        var messages = new List<PromptMessage>(messagesElement.GetArrayLength());
        var index = 0;
        foreach (var element in messagesElement.EnumerateArray())
        {
            var (message, error) = ParseMessage(element, $"messages[{index++}]");
            if (error is not null)
            {
                return (null, error);
            }

            messages.Add(message!);
        }

        if (!TryReadBool(root, "stream", out var stream, out var streamError))
        {
            return (null, streamError);
        }

        var includeUsage = false;
        if (root.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind != JsonValueKind.Null)
        {
            if (streamOptions.ValueKind != JsonValueKind.Object)
            {
                return (null, InvalidType("stream_options", "an object", streamOptions));
            }

            if (!stream)
            {
                return (null, Invalid(
                    "invalid_value",
                    "stream_options",
                    "The 'stream_options' parameter is only allowed when 'stream' is enabled."));
            }

            if (!TryReadBool(streamOptions, "include_usage", out includeUsage, out var usageError))
            {
                return (null, usageError);
            }
        }

        // max_completion_tokens replaces the deprecated max_tokens; when both are sent it wins.
        if (!TryReadMaxTokens(root, "max_completion_tokens", out var maxTokens, out var maxError)
            || (maxTokens is null && !TryReadMaxTokens(root, "max_tokens", out maxTokens, out maxError)))
        {
            return (null, maxError);
        }

        string? model = null;
        if (root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind != JsonValueKind.Null)
        {
            if (modelElement.ValueKind != JsonValueKind.String)
            {
                return (null, InvalidType("model", "a string", modelElement));
            }

            model = modelElement.GetString();
        }

        var (tools, toolsError) = ParseTools(root);
        if (toolsError is not null)
        {
            return (null, toolsError);
        }

        var (toolChoice, choiceError) = ParseToolChoice(root, tools!);
        if (choiceError is not null)
        {
            return (null, choiceError);
        }

        return (new ChatRequest(messages, stream, includeUsage, maxTokens) { Model = model, Tools = tools!, ToolChoice = toolChoice }, null);
    }

    /// <summary><c>tools</c>: an array of <c>{"type":"function","function":{"name",...,"parameters"?}}</c>.</summary>
    private static (IReadOnlyList<ToolDefinition>?, AzureError?) ParseTools(JsonElement root)
    {
        if (!root.TryGetProperty("tools", out var toolsElement) || toolsElement.ValueKind == JsonValueKind.Null)
        {
            return ([], null);
        }

        if (toolsElement.ValueKind != JsonValueKind.Array)
        {
            return (null, InvalidType("tools", "an array of objects", toolsElement));
        }

        var tools = new List<ToolDefinition>();
        var index = 0;
        foreach (var tool in toolsElement.EnumerateArray())
        {
            var path = $"tools[{index++}]";
            if (tool.ValueKind != JsonValueKind.Object)
            {
                return (null, InvalidType(path, "an object", tool));
            }

            if (!tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return (null, Missing($"{path}.type"));
            }

            if (type.GetString() != "function")
            {
                return (null, Invalid("invalid_value", $"{path}.type",
                    $"Invalid value: '{type.GetString()}'. Supported values are: 'function'."));
            }

            if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
            {
                return (null, Missing($"{path}.function"));
            }

            if (!function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } functionName)
            {
                return (null, Missing($"{path}.function.name"));
            }

            JsonElement? parameters = function.TryGetProperty("parameters", out var schema) && schema.ValueKind == JsonValueKind.Object
                ? schema.Clone()
                : null;
            tools.Add(new ToolDefinition(functionName, parameters));
        }

        return (tools, null);
    }

    /// <summary><c>tool_choice</c>: <c>none</c>, <c>auto</c>, <c>required</c> or <c>{"type":"function","function":{"name"}}</c>.</summary>
    private static (string?, AzureError?) ParseToolChoice(JsonElement root, IReadOnlyList<ToolDefinition> tools)
    {
        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            var value = choice.GetString()!;
            if (value is not ("none" or "auto" or "required"))
            {
                return (null, Invalid("invalid_value", "tool_choice",
                    $"Invalid value: '{value}'. Supported values are: 'none', 'auto', and 'required'."));
            }

            return value != "none" && tools.Count == 0
                ? (null, Invalid("invalid_value", "tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."))
                : (value, null);
        }

        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var function)
            && function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            var forced = name.GetString()!;
            return tools.Any(t => t.Name == forced)
                ? (forced, null)
                : (null, Invalid("invalid_value", "tool_choice",
                    $"Invalid value for 'tool_choice': function '{forced}' is not one of the functions in 'tools'."));
        }

        return (null, InvalidType("tool_choice", "one of a string or object", choice));
    }

    private static (PromptMessage?, AzureError?) ParseMessage(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, InvalidType(path, "an object", element));
        }

        if (!element.TryGetProperty("role", out var roleElement) || roleElement.ValueKind == JsonValueKind.Null)
        {
            return (null, Missing($"{path}.role"));
        }

        var role = roleElement.ValueKind == JsonValueKind.String ? roleElement.GetString()! : roleElement.GetRawText();
        if (!Roles.Contains(role, StringComparer.Ordinal))
        {
            return (null, Invalid(
                "invalid_value",
                $"{path}.role",
                $"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'."));
        }

        var text = new StringBuilder();
        if (element.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null)
        {
            switch (content.ValueKind)
            {
                case JsonValueKind.String:
                    text.Append(content.GetString());
                    break;
                case JsonValueKind.Array:
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind != JsonValueKind.Object)
                        {
                            return (null, InvalidType($"{path}.content", "one of a string or array of objects", content));
                        }

                        if (part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
                        {
                            text.Append(partText.GetString());
                        }
                    }

                    break;
                default:
                    return (null, InvalidType($"{path}.content", "one of a string or array of objects", content));
            }
        }
        else if (role is not "assistant")
        {
            return (null, Missing($"{path}.content"));
        }

        // Tool calls cost prompt tokens too; their JSON stands in for them.
        if (element.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            text.Append(toolCalls.GetRawText());
        }

        if (role == "tool"
            && (!element.TryGetProperty("tool_call_id", out var toolCallId) || toolCallId.ValueKind != JsonValueKind.String))
        {
            return (null, Missing($"{path}.tool_call_id"));
        }

        string? name = null;
        if (element.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String)
        {
            name = nameElement.GetString();
        }

        return (new PromptMessage(role, text.ToString(), name), null);
    }

    private static bool TryReadBool(JsonElement parent, string name, out bool value, out AzureError? error)
    {
        value = false;
        error = null;
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = element.GetBoolean();
            return true;
        }

        error = InvalidType(name, "a boolean", element);
        return false;
    }

    private static bool TryReadMaxTokens(JsonElement root, string name, out int? value, out AzureError? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var number))
        {
            error = InvalidType(name, "an integer", element);
            return false;
        }

        if (number < 1)
        {
            error = Invalid(
                "integer_below_min_value",
                name,
                $"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {number} instead.");
            return false;
        }

        value = (int)Math.Min(number, int.MaxValue);
        return true;
    }

    private static AzureError Missing(string param) =>
        Invalid("missing_required_parameter", param, $"Missing required parameter: '{param}'.");

    private static AzureError InvalidType(string param, string expected, JsonElement actual) =>
        Invalid("invalid_type", param, $"Invalid type for '{param}': expected {expected}, but got {Describe(actual)} instead.");

    private static AzureError Invalid(string code, string? param, string message) =>
        new(code, message) { Type = "invalid_request_error", Param = param };

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => element.TryGetInt64(out _) ? "an integer" : "a decimal",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
