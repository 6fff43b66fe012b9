using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wrapper.Bench;

public static class TargetNames
{
    public const string Direct = "direct";
    public const string Yarp = "yarp";
    public const string Service = "service";
    public const string ServiceVariant = "service-variant";
    public const string OpenAICompatible = "openai";
    public const string Gateway = "gateway";
    public const string Portkey = "portkey";

    /// <summary>The default targets (<see cref="ServiceVariant"/> is measured when <c>--variant-env</c> is given).</summary>
    public static readonly IReadOnlyList<string> All = [Direct, Yarp, Service, OpenAICompatible, Gateway, Portkey];

    public static readonly IReadOnlyList<string> Known = [.. All, ServiceVariant];
}

/// <summary>One HTTP request that every load run repeats.</summary>
public sealed record BenchRequest(string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>The same conversation for every target: a short history (system, user, assistant, user), asked once as
/// one JSON answer (<c>plain</c>) and once as server-sent events (<c>stream</c>), in each target's own dialect.</summary>
public static class Conversation
{
    public const string Deployment = "gpt-4o-mini";
    public const string ApiVersion = "2025-04-01-preview";

    private static JsonArray Messages() =>
    [
        new JsonObject { ["role"] = "system", ["content"] = "You are a concise assistant." },
        new JsonObject { ["role"] = "user", ["content"] = "What is the capital of France?" },
        new JsonObject { ["role"] = "assistant", ["content"] = "Paris." },
        new JsonObject { ["role"] = "user", ["content"] = "And roughly how many people live there?" },
    ];

    /// <summary>Azure OpenAI chat completions, as the service's SDK sends it (also what YARP forwards unchanged).</summary>
    public static BenchRequest Azure(string apiKey, bool stream) => new(
        $"/openai/deployments/{Deployment}/chat/completions?api-version={ApiVersion}",
        new Dictionary<string, string> { ["api-key"] = apiKey },
        OpenAIBody(stream));

    /// <summary>This service's <c>POST /chat</c>.</summary>
    public static BenchRequest Service(string clientKey, bool stream)
    {
        var body = new JsonObject { ["messages"] = Messages() };
        if (stream)
        {
            body["stream"] = true;
        }

        return new("/chat", new Dictionary<string, string> { ["api-key"] = clientKey }, body.ToJsonString());
    }

    /// <summary>This service's OpenAI-compatible route (<c>POST /openai/v1/chat/completions</c>), as the OpenAI SDKs send it:
    /// the client key as a bearer token, the public model name (the deployment under its own name), the same body as
    /// Azure's (streams ask for the usage chunk).</summary>
    public static BenchRequest OpenAICompatible(string clientKey, bool stream) => new(
        "/openai/v1/chat/completions",
        new Dictionary<string, string> { ["Authorization"] = $"Bearer {clientKey}" },
        OpenAIBody(stream));

    /// <summary>Portkey's OpenAI-compatible route with its Azure OpenAI provider pointed at the simulator
    /// (<c>x-portkey-custom-host</c>); the key travels as a bearer token and Portkey sends it as <c>api-key</c>.</summary>
    public static BenchRequest Portkey(string simulatorBaseUrl, string apiKey, bool stream) => new(
        "/v1/chat/completions",
        new Dictionary<string, string>
        {
            ["Authorization"] = $"Bearer {apiKey}",
            ["x-portkey-provider"] = "azure-openai",
            ["x-portkey-custom-host"] = $"{simulatorBaseUrl.TrimEnd('/')}/openai",
            ["x-portkey-azure-resource-name"] = "bench",
            ["x-portkey-azure-deployment-id"] = Deployment,
            ["x-portkey-azure-api-version"] = ApiVersion,
        },
        OpenAIBody(stream));

    private static string OpenAIBody(bool stream)
    {
        var body = new JsonObject { ["messages"] = Messages(), ["model"] = Deployment };
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body.ToJsonString();
    }

    /// <summary>True when an answer body is a real answer of the asked kind (not an error in a 200).</summary>
    public static bool LooksLikeAnswer(string body, bool stream)
    {
        if (stream)
        {
            return body.Split('\n').Any(line => line.StartsWith("data:", StringComparison.Ordinal) && ContentOf(line[5..]) is { Length: > 0 });
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return FindText(root) is { Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The text of one server-sent event's data: OpenAI's <c>choices[0].delta.content</c> or the service's
    /// <c>{"content": ...}</c>; null for any other event.</summary>
    public static string? ContentOf(string data)
    {
        data = data.Trim();
        if (data.Length == 0 || data[0] != '{')
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(data);
            var root = document.RootElement;
            if (root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            {
                return content.GetString();
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var text)
                && text.ValueKind == JsonValueKind.String)
            {
                return text.GetString();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string? FindText(JsonElement root)
    {
        // OpenAI: choices[0].message.content; the service: {"content": ...}.
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content))
        {
            return content.GetString();
        }

        return root.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
    }
}
