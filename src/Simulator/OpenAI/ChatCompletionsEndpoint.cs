using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// <c>POST /openai/deployments/{deployment}/chat/completions?api-version=...</c> (dated API) and
/// <c>POST /openai/v1/chat/completions</c> (v1 API, the deployment in the body's <c>model</c>), checked in Azure's order:
/// api-version (404/400), key or token (401), deployment (404), body (400), content filter (400), rate limit (429).
/// On v1 the body is read before the deployment, which it names.
/// </summary>
internal static partial class ChatCompletionsEndpoint
{
    public const string Route = "/openai/deployments/{deployment}/chat/completions";
    public const string V1Route = "/openai/v1/chat/completions";

    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static IEndpointRouteBuilder MapChatCompletions(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Route, HandleAsync)
            .WithSimulatorFaults(FaultInjector.OpenAITarget)
            .WithName("SimulatedChatCompletions");
        endpoints.MapPost(V1Route, HandleV1Async)
            .WithSimulatorFaults(FaultInjector.OpenAITarget)
            .WithName("SimulatedChatCompletionsV1");
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(
        string deployment,
        HttpContext context,
        SimulatorOptions options,
        TokenCounter tokens,
        AnswerGenerator answers,
        DeploymentRateLimiter limiter,
        TimeProvider time)
    {
        var request = context.Request;
        if (OpenAIApiVersions.CheckDated(request) is { } refused)
        {
            return refused;
        }

        if (Authenticate(request, options) is { } denied)
        {
            return denied;
        }

        if (options.FindDeployment(deployment) is not { } deploymentName)
        {
            return DeploymentNotFound();
        }

        var (chat, invalid) = await ChatRequestParser.ParseAsync(request.Body, context.RequestAborted);
        if (chat is null)
        {
            return AzureErrors.Result(StatusCodes.Status400BadRequest, invalid!);
        }

        return await AnswerAsync(context, chat, deploymentName, request.Query["api-version"].ToString(), options, tokens, answers, limiter, time);
    }

    private static async Task<IResult> HandleV1Async(
        HttpContext context,
        SimulatorOptions options,
        TokenCounter tokens,
        AnswerGenerator answers,
        DeploymentRateLimiter limiter,
        TimeProvider time)
    {
        var request = context.Request;
        if (OpenAIApiVersions.CheckV1(request) is { } refused)
        {
            return refused;
        }

        if (Authenticate(request, options, v1: true) is { } denied)
        {
            return denied;
        }

        var (chat, invalid) = await ChatRequestParser.ParseAsync(request.Body, context.RequestAborted);
        if (chat is null)
        {
            return AzureErrors.Result(StatusCodes.Status400BadRequest, invalid!);
        }

        if (chat.Model is not { Length: > 0 } model)
        {
            return AzureErrors.Result(StatusCodes.Status400BadRequest,
                new AzureError("missing_required_parameter", "Missing required parameter: 'model'.") { Param = "model", Type = "invalid_request_error" });
        }

        if (options.FindDeployment(model) is not { } deploymentName)
        {
            return DeploymentNotFound();
        }

        return await AnswerAsync(context, chat, deploymentName, OpenAIApiVersions.V1, options, tokens, answers, limiter, time);
    }

    private static IResult DeploymentNotFound() => AzureErrors.Result(
        StatusCodes.Status404NotFound,
        "DeploymentNotFound",
        "The API deployment for this resource does not exist. If you created the deployment within the last "
        + "5 minutes, please wait a moment and try again.");

    private static async Task<IResult> AnswerAsync(
        HttpContext context,
        ChatRequest chat,
        string deploymentName,
        string apiVersion,
        SimulatorOptions options,
        TokenCounter tokens,
        AnswerGenerator answers,
        DeploymentRateLimiter limiter,
        TimeProvider time)
    {
        var ct = context.RequestAborted;
        if (chat.Mentions(options.ContentFilterTrigger))
        {
            return AzureErrors.Result(StatusCodes.Status400BadRequest, PromptFiltered());
        }

        var promptTokens = tokens.CountPrompt(chat.Messages);
        string content;
        int completionTokens;
        string finishReason;
        IReadOnlyList<ToolCall>? toolCalls = null;
        var completionFilter = ContentFilterResults.SafeCompletion;
        if (chat.ToolToCall is { } tool)
        {
            // The model calls a function: no text, finish_reason tool_calls, the arguments made from its parameters' schema.
            var arguments = ToolArguments.For(tool, chat.LastUserMessage);
            toolCalls = [new ToolCall("call_" + RandomNumberGenerator.GetString(IdAlphabet, 24), "function", new ToolFunction(tool.Name, arguments))];
            (content, completionTokens, finishReason) = (string.Empty, tokens.Count(tool.Name) + tokens.Count(arguments) + 7, "tool_calls");
        }
        else
        {
            var natural = answers.Generate(chat.AnswerBasis, Math.Max(1, options.AnswerTokens));
            (content, completionTokens, finishReason) = (natural.Text, natural.Tokens, "stop");
            if (chat.MaxTokens is int max && natural.Tokens > max)
            {
                (content, completionTokens) = tokens.Truncate(natural.Text, max);
                finishReason = "length";
            }

            if (chat.Mentions(options.CompletionFilterTrigger))
            {
                (content, completionTokens) = tokens.Truncate(content, completionTokens / 2);
                finishReason = "content_filter";
                completionFilter = ContentFilterResults.FilteredCompletion;
            }
        }

        var tokenLimit = options.TokensPerMinuteFor(deploymentName);
        var decision = limiter.TryAcquire(deploymentName, promptTokens + completionTokens, tokenLimit, options.RequestsPerMinute);
        SetResponseHeaders(context.Response, deploymentName, decision);
        if (!decision.Allowed)
        {
            AzureErrors.SetRetryAfter(context.Response, decision.RetryAfter);
            var seconds = (int)Math.Max(1, Math.Ceiling(decision.RetryAfter.TotalSeconds));
            return AzureErrors.Result(
                StatusCodes.Status429TooManyRequests,
                "429",
                AzureErrors.RateLimitMessage(seconds, apiVersion));
        }

        var reply = new Reply(
            "chatcmpl-" + RandomNumberGenerator.GetString(IdAlphabet, 29),
            time.GetUtcNow().ToUnixTimeSeconds(),
            deploymentName,
            content,
            finishReason,
            completionFilter,
            new ChatUsage(
                promptTokens,
                completionTokens,
                promptTokens + completionTokens,
                new PromptTokensDetails(0, 0),
                new CompletionTokensDetails(0, 0, 0, 0)))
        {
            ToolCalls = toolCalls,
        };

        if (chat.Stream)
        {
            return new ChatCompletionStream(reply, chat.IncludeUsage, options, tokens);
        }

        var latency = options.LatencyPerTokenMs * completionTokens;
        if (latency > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(latency), ct);
        }

        return Results.Json(
            new ChatCompletionBody(
                reply.Id,
                "chat.completion",
                reply.Created,
                reply.Model,
                Reply.SystemFingerprint,
                [new ChatChoice(0, reply.FinishReason, new AssistantMessage("assistant", reply.ToolCalls is null ? reply.Content : null, reply.ToolCalls),
                    null, reply.CompletionFilter)],
                reply.Usage,
                [new PromptFilterResult(0, ContentFilterResults.SafePrompt)]),
            OpenAIJson.Completion);
    }

    /// <summary>The <c>api-key</c> header, else an Entra ID bearer token (when allowed). On the v1 API the key may also
    /// travel as <c>Authorization: Bearer &lt;key&gt;</c>, as the plain OpenAI clients send it.</summary>
    internal static IResult? Authenticate(HttpRequest request, SimulatorOptions options, bool v1 = false)
    {
        var key = request.Headers["api-key"].ToString();
        if (key.Length > 0)
        {
            return FixedTimeEquals(key, options.ApiKey)
                ? null
                : AzureErrors.Result(StatusCodes.Status401Unauthorized, "401", AzureErrors.InvalidKeyMessage);
        }

        var authorization = request.Headers.Authorization.ToString();
        if (options.AllowBearerTokens && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization["Bearer ".Length..].Trim();
            if (v1 && token.Length > 0 && FixedTimeEquals(token, options.ApiKey))
            {
                return null;
            }

            if (token.Length > 0 && (options.OpenAIBearerToken is null || FixedTimeEquals(token, options.OpenAIBearerToken)))
            {
                return null;
            }

            return AzureErrors.Result(
                StatusCodes.Status401Unauthorized,
                "401",
                "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.");
        }

        return AzureErrors.Result(
            StatusCodes.Status401Unauthorized,
            "401",
            "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.");
    }

    private static bool FixedTimeEquals(string actual, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(actual),
            System.Text.Encoding.UTF8.GetBytes(expected));

    private static void SetResponseHeaders(HttpResponse response, string deployment, RateDecision decision)
    {
        var requestId = Guid.NewGuid().ToString();
        response.Headers["apim-request-id"] = requestId;
        response.Headers["x-request-id"] = requestId;
        response.Headers["x-ms-region"] = "Simulator";
        response.Headers["x-ms-deployment-name"] = deployment;
        if (decision.TokenLimit > 0)
        {
            response.Headers["x-ratelimit-limit-tokens"] = decision.TokenLimit.ToString(CultureInfo.InvariantCulture);
            response.Headers["x-ratelimit-remaining-tokens"] = decision.RemainingTokens.ToString(CultureInfo.InvariantCulture);
        }

        if (decision.RequestLimit > 0)
        {
            response.Headers["x-ratelimit-limit-requests"] = decision.RequestLimit.ToString(CultureInfo.InvariantCulture);
            response.Headers["x-ratelimit-remaining-requests"] = decision.RemainingRequests.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static AzureError PromptFiltered() => new(
        "content_filter",
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please "
        + "modify your prompt and retry. To learn more about our content filtering policies please read our "
        + "documentation: https://go.microsoft.com/fwlink/?linkid=2198766")
    {
        Param = "prompt",
        Status = StatusCodes.Status400BadRequest,
        Innererror = new AzureInnerError("ResponsibleAIPolicyViolation", ContentFilterResults.BlockedPrompt),
    };

}

/// <summary>One generated answer, ready to be sent whole or streamed.</summary>
internal sealed record Reply(
    string Id,
    long Created,
    string Model,
    string Content,
    string FinishReason,
    ContentFilterResults CompletionFilter,
    ChatUsage Usage)
{
    public const string SystemFingerprint = "fp_simulator";

    /// <summary>The tool calls of an answer that calls functions instead of answering in text.</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
}
