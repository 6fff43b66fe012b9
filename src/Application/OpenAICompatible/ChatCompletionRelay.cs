using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Quotas;

namespace Wrapper.Application.OpenAICompatible;

/// <summary>Which face of the OpenAI-compatible routes a request came through: it decides how an unknown model is
/// answered (OpenAI's <c>model_not_found</c> or Azure's <c>DeploymentNotFound</c>).</summary>
public enum OpenAIFace
{
    /// <summary><c>POST /openai/v1/chat/completions</c>: the model is the body's <c>model</c>.</summary>
    V1,

    /// <summary><c>POST /openai/deployments/{deployment}/chat/completions</c>: the model is the path's deployment.</summary>
    AzureDeployment,
}

/// <summary>
/// A chat-completions request in OpenAI's wire format, relayed to the model service with its body untouched except for
/// <c>model</c> (set to the upstream deployment) and, on a stream, <c>stream_options.include_usage</c> (set, so that the
/// tokens of a stream are counted). Metered (<see cref="IMeteredRequest"/>): the prompt is counted from the body's
/// <c>messages</c> and <c>tools</c>, the answer reserved at <c>max_completion_tokens</c> (or <c>max_tokens</c>) times
/// <c>n</c> when given.
/// </summary>
/// <param name="Body">The request body as the client sent it (a JSON object).</param>
/// <param name="Model">The public model name: the body's <c>model</c> on v1, the path's deployment on the Azure face.</param>
/// <param name="Face">The route it came through.</param>
public abstract record ChatCompletionRelay(JsonObject Body, string? Model, OpenAIFace Face) : IMeteredRequest
{
    /// <summary>The messages and tool definitions as the prompt-token counter reads them: every text part, the tool calls
    /// of assistant messages and the tools' JSON, which the model reads as prompt too.</summary>
    public IReadOnlyList<ChatMessage> Prompt(ChatOptions options)
    {
        var prompt = new List<ChatMessage>();
        if (Body["messages"] is JsonArray messages)
        {
            foreach (var node in messages)
            {
                if (node is not JsonObject message)
                {
                    continue;
                }

                var role = (message["role"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? message["role"]!.GetValue<string>() : null;
                var text = new StringBuilder();
                AppendText(text, message["content"]);
                if (message["tool_calls"] is JsonArray toolCalls)
                {
                    text.Append(toolCalls.ToJsonString());
                }

                prompt.Add(new ChatMessage(role switch
                {
                    "system" or "developer" => ChatRole.System,
                    "user" => ChatRole.User,
                    _ => ChatRole.Assistant,
                }, text.ToString()));
            }
        }

        if (Body["tools"] is JsonArray tools && tools.Count > 0)
        {
            prompt.Add(ChatMessage.System(tools.ToJsonString()));
        }

        return prompt;
    }

    /// <summary><c>max_completion_tokens</c> (or the older <c>max_tokens</c>) times <c>n</c>; null when neither is sent.</summary>
    public int? MaxOutputTokens
    {
        get
        {
            var max = PositiveInteger("max_completion_tokens") ?? PositiveInteger("max_tokens");
            return max is { } tokens ? (int)Math.Min(int.MaxValue, tokens * (PositiveInteger("n") ?? 1)) : null;
        }
    }

    private long? PositiveInteger(string name) =>
        Body[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number) && number > 0
            ? number
            : null;

    private static void AppendText(StringBuilder text, JsonNode? content)
    {
        switch (content)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                text.Append(value.GetValue<string>());
                break;
            case JsonArray parts:
                foreach (var part in parts)
                {
                    if (part is JsonObject { } obj && obj["text"] is JsonValue partText && partText.GetValueKind() == JsonValueKind.String)
                    {
                        text.Append(partText.GetValue<string>());
                    }
                }

                break;
        }
    }
}

/// <summary>Relay a chat completion and return the model service's whole answer.</summary>
public sealed record RelayChatCompletion(JsonObject Body, string? Model, OpenAIFace Face)
    : ChatCompletionRelay(Body, Model, Face), IRequest<RelayedChatCompletion>;

/// <summary>Relay a streamed chat completion (<c>"stream": true</c>): its events, each as the model service sent it
/// (<see cref="RelayedChunk"/>), then one <see cref="ChatStreamCompleted"/> with the usage (not an event of its own).
/// As for <see cref="StreamChat"/>, the model is called when the caller starts enumerating; a failure before the first
/// event (when another upstream may still be tried) surfaces from the first <c>MoveNextAsync</c>.</summary>
public sealed record StreamRelayedChatCompletion(JsonObject Body, string? Model, OpenAIFace Face)
    : ChatCompletionRelay(Body, Model, Face), IRequest<IAsyncEnumerable<ChatStreamUpdate>>;

/// <summary>The model service's whole answer: the <c>chat.completion</c> JSON exactly as it came, and what the service
/// read from it.</summary>
/// <param name="Json">The answer's UTF-8 JSON.</param>
/// <param name="Model">Its <c>model</c>, when it had one.</param>
/// <param name="Usage">Its <c>usage</c> (none when it had none).</param>
public sealed record RelayedChatCompletion(ReadOnlyMemory<byte> Json, string? Model, TokenUsage Usage) : IMeteredAnswer;

/// <summary>One event of a relayed stream: a <c>chat.completion.chunk</c>'s UTF-8 JSON exactly as it came.</summary>
/// <param name="Json">The event's data.</param>
/// <param name="HasOutput">True when it carries answer text or a tool call (counted as one token of an answer that never
/// reported its usage).</param>
public sealed record RelayedChunk(ReadOnlyMemory<byte> Json, bool HasOutput) : ChatStreamUpdate
{
    private byte[]? _rented;

    /// <summary>A chunk whose <see cref="Json"/> is a copy of <paramref name="json"/> in an array rented from
    /// <see cref="ArrayPool{T}.Shared"/>. A stream relays dozens of events; copied into new arrays they were most of the
    /// bytes a streamed answer allocated (bench/results/issue-16-openai.md). The consumer that has written the chunk
    /// hands the array back with <see cref="Release"/>; one that keeps chunks does not call it, and the array is collected.</summary>
    public static RelayedChunk Rented(ReadOnlySpan<byte> json, bool hasOutput)
    {
        var array = ArrayPool<byte>.Shared.Rent(json.Length);
        json.CopyTo(array);
        return new RelayedChunk(array.AsMemory(0, json.Length), hasOutput) { _rented = array };
    }

    /// <summary>Returns a <see cref="Rented"/> chunk's array to the pool (at most once; nothing for other chunks). Its
    /// <see cref="Json"/> must not be read afterwards.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}

/// <summary>The configured public model names and the deployments behind them (<c>OpenAICompatible:Models</c>).</summary>
public sealed record ServedModel(string Name, string Deployment);

/// <summary>A model name the service does not serve: 404, <c>model_not_found</c> on the v1 face,
/// <c>DeploymentNotFound</c> on the Azure face (what OpenAI and Azure OpenAI answer). The client's doing.</summary>
public sealed class ModelNotFoundException : Exception
{
    public const string V1Code = "model_not_found";
    public const string AzureCode = "DeploymentNotFound";

    public ModelNotFoundException(string? model, OpenAIFace face)
        : base(face == OpenAIFace.V1
            ? $"The model `{model}` does not exist or you do not have access to it. GET /openai/v1/models lists the models served."
            : $"The API deployment `{model}` does not exist on this service. GET /openai/v1/models lists the deployments served.")
    {
        Model = model;
        Face = face;
    }

    public string? Model { get; }

    public OpenAIFace Face { get; }

    /// <summary><see cref="V1Code"/> or <see cref="AzureCode"/>.</summary>
    public string Code => Face == OpenAIFace.V1 ? V1Code : AzureCode;

    /// <summary>The request field that named the model (<c>model</c>; null on the Azure face, where the path names it).</summary>
    public string? Param => Face == OpenAIFace.V1 ? "model" : null;
}

public sealed class RelayChatCompletionHandler : IRequestHandler<RelayChatCompletion, RelayedChatCompletion>
{
    private readonly IChatCompletionRelay _relay;

    public RelayChatCompletionHandler(IChatCompletionRelay relay) => _relay = relay;

    public Task<RelayedChatCompletion> Handle(RelayChatCompletion request, CancellationToken cancellationToken) =>
        _relay.CompleteAsync(new RelayCall(request.Body, Resolve(_relay, request)), cancellationToken);

    /// <summary>The deployment behind the request's public model name, or <see cref="ModelNotFoundException"/>.</summary>
    internal static ServedModel Resolve(IChatCompletionRelay relay, ChatCompletionRelay request) =>
        request.Model is { Length: > 0 } name && relay.Find(name) is { } served ? served : throw new ModelNotFoundException(request.Model, request.Face);
}

public sealed class StreamRelayedChatCompletionHandler : IRequestHandler<StreamRelayedChatCompletion, IAsyncEnumerable<ChatStreamUpdate>>
{
    private readonly IChatCompletionRelay _relay;

    public StreamRelayedChatCompletionHandler(IChatCompletionRelay relay) => _relay = relay;

    public Task<IAsyncEnumerable<ChatStreamUpdate>> Handle(StreamRelayedChatCompletion request, CancellationToken cancellationToken) =>
        Task.FromResult(_relay.StreamAsync(new RelayCall(request.Body, RelayChatCompletionHandler.Resolve(_relay, request)), cancellationToken));
}

/// <summary>List the public model names served (<c>GET /openai/v1/models</c>). Not metered: it spends nothing.</summary>
public sealed record ListServedModels : IRequest<IReadOnlyList<ServedModel>>;

public sealed class ListServedModelsHandler : IRequestHandler<ListServedModels, IReadOnlyList<ServedModel>>
{
    private readonly IChatCompletionRelay _relay;

    public ListServedModelsHandler(IChatCompletionRelay relay) => _relay = relay;

    public Task<IReadOnlyList<ServedModel>> Handle(ListServedModels request, CancellationToken cancellationToken) => Task.FromResult(_relay.Models);
}
