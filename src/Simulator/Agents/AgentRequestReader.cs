using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Wrapper.Simulator.Agents;

/// <summary>Reads Agent Service request bodies and list queries; bad input becomes a 400 <see cref="AgentApiException"/>.</summary>
internal static class AgentRequestReader
{
    private const int MaxLimit = 100;

    /// <summary>The JSON object of the body; an empty body is an empty object unless <paramref name="required"/>.</summary>
    public static async Task<JsonObject> ReadBodyAsync(HttpRequest request, bool required, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return required ? throw AgentApiException.BadRequest("The request body is empty; a JSON object is required.") : [];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw AgentApiException.BadRequest("We could not parse the JSON body of your request. The body must be a JSON object.");
        }

        return node as JsonObject ?? throw AgentApiException.BadRequest("The request body must be a JSON object.");
    }

    public static string? OptionalString(JsonObject body, string name, string? path = null)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw AgentApiException.BadRequest($"Invalid type for '{path ?? name}': expected a string.", path ?? name);
    }

    public static string RequiredString(JsonObject body, string name, string? path = null) =>
        OptionalString(body, name, path) is { Length: > 0 } text
            ? text
            : throw AgentApiException.BadRequest($"Missing required parameter: '{path ?? name}'.", path ?? name);

    /// <summary>Metadata limits of every object that carries it: up to 16 pairs, keys up to 64 characters, values up to
    /// 512 (the <c>metadata</c> documentation of @azure/ai-agents 1.1.0, e.g. <c>ThreadsCreateThreadOptionalParams</c>).</summary>
    public const int MaxMetadataPairs = 16;

    public const int MaxMetadataKeyLength = 64;

    public const int MaxMetadataValueLength = 512;

        public static IReadOnlyDictionary<string, string>? Metadata(JsonObject body, string? path = null)
    {
        var name = path ?? "metadata";
        switch (body["metadata"])
        {
            case null:
                return null;
            case JsonObject metadata:
                if (metadata.Count > MaxMetadataPairs)
                {
                    throw AgentApiException.BadRequest($"Invalid '{name}': at most {MaxMetadataPairs} key-value pairs are allowed, got {metadata.Count}.", name);
                }

                var result = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (key, node) in metadata)
                {
                    if (key.Length > MaxMetadataKeyLength)
                    {
                        throw AgentApiException.BadRequest($"Invalid '{name}': keys may be at most {MaxMetadataKeyLength} characters long.", name);
                    }

                    result[key] = node is JsonValue value && value.TryGetValue<string>(out var text)
                        ? text.Length <= MaxMetadataValueLength
                            ? text
                            : throw AgentApiException.BadRequest($"Invalid '{name}.{key}': values may be at most {MaxMetadataValueLength} characters long.", name)
                        : throw AgentApiException.BadRequest($"Invalid type for '{name}.{key}': expected a string.", name);
                }

                return result;
            default:
                throw AgentApiException.BadRequest($"Invalid type for '{name}': expected an object.", name);
        }
    }

    /// <summary>The messages of <c>messages</c> / <c>additional_messages</c> (absent = none).</summary>
    public static IReadOnlyList<NewMessage> Messages(JsonObject body, string name, string? path = null)
    {
        var full = path ?? name;
        switch (body[name])
        {
            case null:
                return [];
            case JsonArray items:
                var messages = new List<NewMessage>(items.Count);
                for (var i = 0; i < items.Count; i++)
                {
                    var itemPath = string.Create(CultureInfo.InvariantCulture, $"{full}[{i}]");
                    messages.Add(items[i] is JsonObject item
                        ? Message(item, itemPath)
                        : throw AgentApiException.BadRequest($"Invalid type for '{itemPath}': expected an object.", itemPath));
                }

                return messages;
            default:
                throw AgentApiException.BadRequest($"Invalid type for '{full}': expected an array.", full);
        }
    }

    /// <summary>A message: <c>role</c> (user|assistant) and <c>content</c> (a string or an array of text blocks).</summary>
    public static NewMessage Message(JsonObject body, string? path = null)
    {
        string Name(string member) => path is null ? member : $"{path}.{member}";

        var role = RequiredString(body, "role", Name("role"));
        if (role is not ("user" or "assistant"))
        {
            throw AgentApiException.BadRequest(
                $"Invalid value for '{Name("role")}': '{role}'. Supported values are: 'user' and 'assistant'.", Name("role"));
        }

        var text = body["content"] switch
        {
            JsonValue value when value.TryGetValue<string>(out var s) => s,
            JsonArray blocks => TextOf(blocks, Name("content")),
            null => throw AgentApiException.BadRequest($"Missing required parameter: '{Name("content")}'.", Name("content")),
            _ => throw AgentApiException.BadRequest(
                $"Invalid type for '{Name("content")}': expected a string or an array of content blocks.", Name("content")),
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            throw AgentApiException.BadRequest($"Invalid '{Name("content")}': the message content must not be empty.", Name("content"));
        }

        return new NewMessage(role, text, Metadata(body, Name("metadata")));
    }

    /// <summary>The run options shared by <c>POST /threads/{id}/runs</c> and <c>POST /threads/runs</c>; <c>stream: true</c>
    /// asks for a <see cref="RunEventStream"/>.</summary>
    public static NewRun Run(JsonObject body)
    {
        var stream = body["stream"] switch
        {
            null => false,
            JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
            _ => throw AgentApiException.BadRequest("Invalid type for 'stream': expected a boolean.", "stream"),
        };

        return new NewRun(
            RequiredString(body, "assistant_id"),
            OptionalString(body, "model"),
            OptionalString(body, "instructions"),
            OptionalString(body, "additional_instructions"),
            Messages(body, "additional_messages"),
            Metadata(body),
            stream);
    }

    /// <summary><c>order</c> (asc|desc, default desc), <c>limit</c> (1–100, default 20), <c>after</c>, <c>before</c>.</summary>
    public static PageRequest Page(IQueryCollection query)
    {
        var order = query["order"].ToString();
        if (order.Length == 0)
        {
            order = "desc";
        }
        else if (order is not ("asc" or "desc"))
        {
            throw AgentApiException.BadRequest($"Invalid value for 'order': '{order}'. Supported values are: 'asc' and 'desc'.", "order");
        }

        var limit = 20;
        var limitText = query["limit"].ToString();
        if (limitText.Length > 0
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            throw AgentApiException.BadRequest(
                $"Invalid value for 'limit': '{limitText}'. It must be an integer between 1 and {MaxLimit}.", "limit");
        }

        return new PageRequest(order, limit, Cursor(query, "after"), Cursor(query, "before"));
    }

    public static string? Cursor(IQueryCollection query, string name) =>
        query[name].ToString() is { Length: > 0 } value ? value : null;

    private static string TextOf(JsonArray blocks, string path)
    {
        var parts = new List<string>();
        for (var i = 0; i < blocks.Count; i++)
        {
            var blockPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
            if (blocks[i] is not JsonObject block || OptionalString(block, "type", $"{blockPath}.type") is not { } type)
            {
                throw AgentApiException.BadRequest($"Invalid '{blockPath}': expected an object with a 'type'.", blockPath);
            }

            if (type != "text")
            {
                throw AgentApiException.BadRequest(
                    $"Invalid '{blockPath}.type': '{type}'. The simulator supports only 'text' content blocks.", $"{blockPath}.type");
            }

            parts.Add(RequiredString(block, "text", $"{blockPath}.text"));
        }

        return string.Join("\n", parts);
    }
}
