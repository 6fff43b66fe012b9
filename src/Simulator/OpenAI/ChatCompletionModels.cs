using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Wrapper.Simulator.OpenAI;

// Wire models of the Azure OpenAI chat-completions answers. Written with the source-generated
// OpenAIJsonContext (snake_case, nulls left out), never through reflection.

/// <summary>Type infos of the wire models; quotes and non-ASCII text are written as is, like OpenAI does.</summary>
internal static class OpenAIJson
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    public static JsonTypeInfo<ChatCompletionBody> Completion { get; } =
        (JsonTypeInfo<ChatCompletionBody>)Options.GetTypeInfo(typeof(ChatCompletionBody));

    public static JsonTypeInfo<AzureErrorBody> Error { get; } =
        (JsonTypeInfo<AzureErrorBody>)Options.GetTypeInfo(typeof(AzureErrorBody));

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(OpenAIJsonContext.Default.Options)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly();
        return options;
    }
}

internal sealed record ChatCompletionBody(
    string Id,
    string Object,
    long Created,
    string Model,
    string SystemFingerprint,
    IReadOnlyList<ChatChoice> Choices,
    ChatUsage? Usage,
    IReadOnlyList<PromptFilterResult>? PromptFilterResults);

internal sealed record ChatChoice(
    int Index,
    string? FinishReason,
    AssistantMessage? Message,
    ChatDelta? Delta,
    ContentFilterResults? ContentFilterResults);

/// <summary>chatCompletionResponseMessage: <c>content</c> and <c>refusal</c> are required and written even when null (a
/// message that only calls tools has <c>"content": null</c>).</summary>
internal sealed record AssistantMessage(
    string Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content,
    IReadOnlyList<ToolCall>? ToolCalls = null)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Refusal { get; init; }
}

/// <summary>chatCompletionMessageToolCall: <c>{"id","type":"function","function":{"name","arguments"}}</c>.</summary>
internal sealed record ToolCall(string Id, string Type, ToolFunction Function);

/// <summary>The function a tool call calls, with its arguments as a JSON string.</summary>
internal sealed record ToolFunction(string Name, string Arguments);

/// <summary>chatCompletionStreamResponseDelta.</summary>
internal sealed record ChatDelta(string? Role, string? Content, IReadOnlyList<ToolCallDelta>? ToolCalls = null);

/// <summary>chatCompletionMessageToolCallChunk: <c>index</c> always; <c>id</c>, <c>type</c> and the function's
/// <c>name</c> in the call's first chunk only; then pieces of <c>function.arguments</c>.</summary>
internal sealed record ToolCallDelta(int Index, string? Id, string? Type, ToolFunctionDelta Function);

internal sealed record ToolFunctionDelta(string? Name, string Arguments);

internal sealed record ChatUsage(
    int PromptTokens,
    int CompletionTokens,
    int TotalTokens,
    PromptTokensDetails PromptTokensDetails,
    CompletionTokensDetails CompletionTokensDetails);

internal sealed record PromptTokensDetails(int CachedTokens, int AudioTokens);

internal sealed record CompletionTokensDetails(
    int ReasoningTokens,
    int AudioTokens,
    int AcceptedPredictionTokens,
    int RejectedPredictionTokens);

internal sealed record PromptFilterResult(int PromptIndex, ContentFilterResults ContentFilterResults);

internal sealed record SeverityResult(bool Filtered, string Severity);

internal sealed record DetectionResult(bool Filtered, bool Detected);

internal sealed record ContentFilterResults
{
    public SeverityResult? Hate { get; init; }

    public SeverityResult? SelfHarm { get; init; }

    public SeverityResult? Sexual { get; init; }

    public SeverityResult? Violence { get; init; }

    public DetectionResult? Jailbreak { get; init; }

    public DetectionResult? ProtectedMaterialCode { get; init; }

    public DetectionResult? ProtectedMaterialText { get; init; }

    private static readonly SeverityResult Safe = new(false, "safe");
    private static readonly DetectionResult NotDetected = new(false, false);

    /// <summary>What Azure reports for a harmless prompt.</summary>
    public static ContentFilterResults SafePrompt { get; } = new()
    {
        Hate = Safe, SelfHarm = Safe, Sexual = Safe, Violence = Safe, Jailbreak = NotDetected,
    };

    /// <summary>What Azure reports for a harmless completion.</summary>
    public static ContentFilterResults SafeCompletion { get; } = new()
    {
        Hate = Safe, SelfHarm = Safe, Sexual = Safe, Violence = Safe,
        ProtectedMaterialCode = NotDetected, ProtectedMaterialText = NotDetected,
    };

    /// <summary>A prompt blocked for hate (high severity).</summary>
    public static ContentFilterResults BlockedPrompt { get; } = SafePrompt with { Hate = new(true, "high") };

    /// <summary>A completion cut for violence (high severity).</summary>
    public static ContentFilterResults FilteredCompletion { get; } = SafeCompletion with { Violence = new(true, "high") };
}

internal sealed record AzureErrorBody(AzureError Error);

internal sealed record AzureError(string Code, string Message)
{
    public string? Type { get; init; }

    public string? Param { get; init; }

    public int? Status { get; init; }

    public AzureInnerError? Innererror { get; init; }
}

internal sealed record AzureInnerError(string Code, ContentFilterResults ContentFilterResult);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatCompletionBody))]
[JsonSerializable(typeof(AzureErrorBody))]
internal sealed partial class OpenAIJsonContext : JsonSerializerContext;
