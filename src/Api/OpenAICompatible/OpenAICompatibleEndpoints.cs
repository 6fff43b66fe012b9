using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentValidation.Results;
using MediatR;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.Errors;
using Wrapper.Application.OpenAICompatible;
using ValidationException = Wrapper.Application.Common.Exceptions.ValidationException;

namespace Wrapper.Api.OpenAICompatible;

/// <summary>
/// The two chat-completions routes of the OpenAI-compatible face, as endpoints of their own rather than controller
/// actions: they are the service's pass-through path (issue 16's bench holds them to 75 % of a YARP pass-through), and
/// MVC's action invoker, filter pipeline, model binding and file result cost a measurable share of a relayed request
/// there (bench/results/issue-16-openai.md). Everything else is the same as for a controller: the fallback authorization
/// policy (client keys), the global rate limiter, the exception handler and OpenAI's error shape (<see cref="OpenAIErrorWriter"/>
/// for <c>/openai</c> paths), the same MediatR use case, and the OpenAPI document (the XML comments below, the
/// <see cref="OpenAIRequestBodyAttribute"/> body and the OpenAI error answers). The model routes stay on
/// <see cref="Controllers.OpenAICompatibleController"/>.
/// </summary>
public static partial class OpenAICompatibleEndpoints
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    /// <summary>The statuses a chat-completions route can answer in OpenAI's error shape.</summary>
    private static readonly int[] ErrorStatuses =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
        StatusCodes.Status404NotFound, StatusCodes.Status429TooManyRequests, StatusCodes.Status502BadGateway,
        StatusCodes.Status503ServiceUnavailable, StatusCodes.Status504GatewayTimeout,
    ];

    /// <summary>Maps <c>POST /openai/v1/chat/completions</c> and <c>POST /openai/deployments/{deployment}/chat/completions</c>.</summary>
    public static IEndpointRouteBuilder MapOpenAICompatibleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(OpenAIErrors.PathPrefix)
            .WithTags("OpenAI-compatible")
            .WithGroupName(OpenApi.OpenApiSetup.OpenAIDocumentName);
        Describe(group.MapPost("v1/chat/completions", CreateChatCompletion).WithName(nameof(CreateChatCompletion)));
        Describe(group.MapPost("deployments/{deployment}/chat/completions", CreateDeploymentChatCompletion)
            .WithName(nameof(CreateDeploymentChatCompletion)));
        return endpoints;
    }

    private static void Describe(RouteHandlerBuilder route)
    {
        // Content types are matched by routing (415 for anything but JSON), as [Consumes] did on the controller.
        route.Accepts<OpenAIChatCompletionRequest>("application/json")
            .Produces<OpenAIChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream");
        foreach (var status in ErrorStatuses)
        {
            route.Produces<OpenAIErrorResponse>(status, "application/json");
        }
    }

    /// <summary>Create a chat completion (OpenAI v1 style).</summary>
    /// <remarks>The body is OpenAI's chat-completions request; <c>model</c> is a public model name of <c>GET /openai/v1/models</c>.
    /// The body reaches the model service untouched except <c>model</c> (set to the deployment behind that name) and, when
    /// <c>stream</c> is true, <c>stream_options.include_usage</c> (set to true so that streamed tokens count against the
    /// client's quota: the stream then always ends with a usage chunk whose <c>choices</c> is empty). Tools, tool calls,
    /// <c>response_format</c>, <c>logprobs</c>, <c>seed</c> and every other field pass through, and the answer comes back as
    /// the model service sent it. Send your client key as <c>Authorization: Bearer &lt;key&gt;</c> or <c>api-key</c>.</remarks>
    /// <param name="context">The request.</param>
    /// <param name="mediator">The application's use cases.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects.</param>
    /// <response code="200">The <c>chat.completion</c>, or its <c>text/event-stream</c> of <c>chat.completion.chunk</c> events closed by <c>data: [DONE]</c>.</response>
    /// <response code="400">The body is not a chat-completions request (<c>validation_failed</c>), or the model service rejected it (<c>upstream_rejected_request</c>, <c>content_filter</c>).</response>
    /// <response code="401">No key, or a key that is not valid (<c>missing_api_key</c>, <c>invalid_api_key</c>).</response>
    /// <response code="403">This client's token quota is used up (<c>client_quota_exceeded</c>).</response>
    /// <response code="404">The model is not served here (<c>model_not_found</c>).</response>
    /// <response code="429">This client is over its requests or tokens per minute (<c>client_rate_limited</c>, <c>client_token_limit</c>) or the model service is throttling (<c>rate_limited</c>); see <c>Retry-After</c> and <c>retry-after-ms</c>.</response>
    /// <response code="502">Our model-service configuration is wrong or its answer unusable.</response>
    /// <response code="503">The model service is unavailable (<c>upstream_unavailable</c>).</response>
    /// <response code="504">The model service did not answer in time (<c>upstream_timeout</c>).</response>
    [OpenAIRequestBody]
    public static async Task<IResult> CreateChatCompletion(HttpContext context, IMediator mediator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await ReadBodyAsync(context.Request, cancellationToken);
        var model = body["model"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
        if (model is null && body["model"] is null)
        {
            throw Invalid("model", "Missing required parameter: 'model'.");
        }

        return await RelayAsync(mediator, body, model, OpenAIFace.V1, cancellationToken);
    }

    /// <summary>Create a chat completion (Azure OpenAI style).</summary>
    /// <remarks>What <c>AzureOpenAI</c> clients send: <c>{deployment}</c> is a public model name of <c>GET /openai/v1/models</c>,
    /// <c>api-version</c> any dated version (<c>2024-10-21</c>, <c>2025-04-01-preview</c>, ...; the service calls its own
    /// configured version upstream). Send your client key as <c>api-key</c>. Otherwise as <c>POST /openai/v1/chat/completions</c>.</remarks>
    /// <param name="context">The request.</param>
    /// <param name="mediator">The application's use cases.</param>
    /// <param name="deployment">The public model name.</param>
    /// <param name="apiVersion">A dated Azure OpenAI API version.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects.</param>
    /// <response code="200">The <c>chat.completion</c>, or its <c>text/event-stream</c> closed by <c>data: [DONE]</c>.</response>
    /// <response code="400">Invalid body or <c>api-version</c>, or the model service rejected the request.</response>
    /// <response code="401">No key, or a key that is not valid.</response>
    /// <response code="403">This client's token quota is used up.</response>
    /// <response code="404">No such deployment here (<c>DeploymentNotFound</c>), or no <c>api-version</c>.</response>
    /// <response code="429">Over a limit, or the model service is throttling; see <c>Retry-After</c>.</response>
    /// <response code="502">Our model-service configuration is wrong or its answer unusable.</response>
    /// <response code="503">The model service is unavailable.</response>
    /// <response code="504">The model service did not answer in time.</response>
    [OpenAIRequestBody]
    public static async Task<IResult> CreateDeploymentChatCompletion(HttpContext context, IMediator mediator, string deployment,
        [FromQuery(Name = "api-version")] string? apiVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(apiVersion))
        {
            // What Azure answers without an api-version.
            return await ProblemAsync(context, ApiProblem.ClientRefusal(StatusCodes.Status404NotFound, "404", "Resource not found",
                "Resource not found: the deployments route needs the 'api-version' query parameter (e.g. api-version=2024-10-21)."));
        }

        if (!DatedVersion().IsMatch(apiVersion))
        {
            return await ProblemAsync(context, ApiProblem.ClientRefusal(StatusCodes.Status400BadRequest, "BadRequest", "API version not supported",
                "API version not supported: 'api-version' must be a dated version such as 2024-10-21 or 2025-04-01-preview."));
        }

        var body = await ReadBodyAsync(context.Request, cancellationToken);
        return await RelayAsync(mediator, body, deployment, OpenAIFace.AzureDeployment, cancellationToken);
    }

    private static async Task<IResult> RelayAsync(IMediator mediator, JsonObject body, string? model, OpenAIFace face, CancellationToken cancellationToken)
    {
        if (body["stream"] is JsonValue stream && stream.GetValueKind() == JsonValueKind.True)
        {
            var updates = await mediator.Send(new StreamRelayedChatCompletion(body, model, face), cancellationToken);
            return new OpenAIEventStream(updates);
        }

        var completion = await mediator.Send(new RelayChatCompletion(body, model, face), cancellationToken);
        return new RelayedJson(completion.Json);
    }

    /// <summary>The body as the client sent it (read here, not bound: every field must pass through as it came): a JSON
    /// object, else 400 (never the reader's own message).</summary>
    private static async Task<JsonObject> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, documentOptions: DocumentOptions, cancellationToken: cancellationToken);
            if (node is JsonObject obj)
            {
                _ = obj.Count; // materialises the properties: a duplicate name fails here
            }
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw Invalid("body", "We could not parse the JSON body of your request: it is not valid JSON.");
        }

        return node as JsonObject ?? throw Invalid("body", "The request body must be a JSON object.");
    }

    private static async Task<IResult> ProblemAsync(HttpContext context, ApiProblem problem)
    {
        await problem.WriteAsync(context);
        return Results.Empty;
    }

    private static ValidationException Invalid(string field, string message) => new([new ValidationFailure(field, message)]);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DatedVersion();

    /// <summary>The model service's answer as it came: its bytes, written once, with their length.</summary>
    private sealed class RelayedJson(ReadOnlyMemory<byte> json) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.ContentLength = json.Length;
            return MemoryMarshal.TryGetArray(json, out var segment)
                ? response.Body.WriteAsync(segment.Array!, segment.Offset, segment.Count, httpContext.RequestAborted)
                : response.Body.WriteAsync(json, httpContext.RequestAborted).AsTask();
        }
    }
}
