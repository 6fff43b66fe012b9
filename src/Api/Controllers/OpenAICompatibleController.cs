using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentValidation.Results;
using MediatR;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.OpenAICompatible;
using Wrapper.Application.OpenAICompatible;
using ValidationException = Wrapper.Application.Common.Exceptions.ValidationException;

namespace Wrapper.Api.Controllers;

/// <summary>The OpenAI-compatible face: point the OpenAI or Azure OpenAI SDKs at this service and they gain its keys,
/// quotas, upstream pool and failover (docs/openai-compatible.md). Errors come in OpenAI's shape.</summary>
[Route("openai")]
[Tags("OpenAI-compatible")]
[ApiExplorerSettings(GroupName = OpenApi.OpenApiSetup.OpenAIDocumentName)]
public sealed partial class OpenAICompatibleController : ControllerBase
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };
    private static readonly long ModelsCreated = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private readonly IMediator _mediator;

    public OpenAICompatibleController(IMediator mediator) => _mediator = mediator;

    /// <summary>Create a chat completion (OpenAI v1 style).</summary>
    /// <remarks>The body is OpenAI's chat-completions request; <c>model</c> is a public model name of <c>GET /openai/v1/models</c>.
    /// The body reaches the model service untouched except <c>model</c> (set to the deployment behind that name) and, when
    /// <c>stream</c> is true, <c>stream_options.include_usage</c> (set to true so that streamed tokens count against the
    /// client's quota: the stream then always ends with a usage chunk whose <c>choices</c> is empty). Tools, tool calls,
    /// <c>response_format</c>, <c>logprobs</c>, <c>seed</c> and every other field pass through, and the answer comes back as
    /// the model service sent it. Send your client key as <c>Authorization: Bearer &lt;key&gt;</c> or <c>api-key</c>.</remarks>
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
    [HttpPost("v1/chat/completions")]
    [Consumes("application/json")]
    [ProducesResponseType<OpenAIChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream")]
    [OpenAIErrors]
    [OpenAIRequestBody]
    public async Task<IActionResult> CreateChatCompletion(CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(cancellationToken);
        var model = body["model"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
        if (model is null && body["model"] is null)
        {
            throw Invalid("model", "Missing required parameter: 'model'.");
        }

        return await RelayAsync(body, model, OpenAIFace.V1, cancellationToken);
    }

    /// <summary>Create a chat completion (Azure OpenAI style).</summary>
    /// <remarks>What <c>AzureOpenAI</c> clients send: <c>{deployment}</c> is a public model name of <c>GET /openai/v1/models</c>,
    /// <c>api-version</c> any dated version (<c>2024-10-21</c>, <c>2025-04-01-preview</c>, ...; the service calls its own
    /// configured version upstream). Send your client key as <c>api-key</c>. Otherwise as <c>POST /openai/v1/chat/completions</c>.</remarks>
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
    [HttpPost("deployments/{deployment}/chat/completions")]
    [Consumes("application/json")]
    [ProducesResponseType<OpenAIChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream")]
    [OpenAIErrors]
    [OpenAIRequestBody]
    public async Task<IActionResult> CreateDeploymentChatCompletion(string deployment, [FromQuery(Name = "api-version")] string? apiVersion,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(apiVersion))
        {
            // What Azure answers without an api-version.
            return await ProblemAsync(Errors.ApiProblem.ClientRefusal(StatusCodes.Status404NotFound, "404", "Resource not found",
                "Resource not found: the deployments route needs the 'api-version' query parameter (e.g. api-version=2024-10-21)."));
        }

        if (!DatedVersion().IsMatch(apiVersion))
        {
            return await ProblemAsync(Errors.ApiProblem.ClientRefusal(StatusCodes.Status400BadRequest, "BadRequest", "API version not supported",
                "API version not supported: 'api-version' must be a dated version such as 2024-10-21 or 2025-04-01-preview."));
        }

        var body = await ReadBodyAsync(cancellationToken);
        return await RelayAsync(body, deployment, OpenAIFace.AzureDeployment, cancellationToken);
    }

    /// <summary>List the models served.</summary>
    /// <remarks>The public names that <c>model</c> (or the Azure route's deployment) accepts, in OpenAI's list shape. Also at
    /// <c>GET /openai/models</c>, where <c>AzureOpenAI</c> clients ask (any <c>api-version</c>).</remarks>
    /// <response code="200">The models.</response>
    /// <response code="401">No key, or a key that is not valid.</response>
    [HttpGet("v1/models")]
    [HttpGet("models")]
    [ProducesResponseType<OpenAIModelList>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<OpenAIErrorResponse>(StatusCodes.Status401Unauthorized, "application/json")]
    public async Task<ActionResult<OpenAIModelList>> ListModels(CancellationToken cancellationToken)
    {
        var models = await _mediator.Send(new ListServedModels(), cancellationToken);
        return new OpenAIModelList("list", models.Select(ToModel).ToList());
    }

    /// <summary>Retrieve one model served.</summary>
    /// <param name="model">A public model name.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects.</param>
    /// <response code="200">The model.</response>
    /// <response code="401">No key, or a key that is not valid.</response>
    /// <response code="404">Not served here (<c>model_not_found</c>).</response>
    [HttpGet("v1/models/{model}")]
    [ProducesResponseType<OpenAIModel>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<OpenAIErrorResponse>(StatusCodes.Status401Unauthorized, "application/json")]
    [ProducesResponseType<OpenAIErrorResponse>(StatusCodes.Status404NotFound, "application/json")]
    public async Task<ActionResult<OpenAIModel>> RetrieveModel(string model, CancellationToken cancellationToken)
    {
        var models = await _mediator.Send(new ListServedModels(), cancellationToken);
        return models.FirstOrDefault(m => m.Name == model) is { } served
            ? ToModel(served)
            : throw new ModelNotFoundException(model, OpenAIFace.V1);
    }

    private static OpenAIModel ToModel(ServedModel model) => new(model.Name, "model", ModelsCreated, "wrapper");

    private async Task<IActionResult> RelayAsync(JsonObject body, string? model, OpenAIFace face, CancellationToken cancellationToken)
    {
        if (body["stream"] is JsonValue stream && stream.GetValueKind() == JsonValueKind.True)
        {
            var updates = await _mediator.Send(new StreamRelayedChatCompletion(body, model, face), cancellationToken);
            return new OpenAIEventStream(updates);
        }

        var completion = await _mediator.Send(new RelayChatCompletion(body, model, face), cancellationToken);
        // The upstream's bytes as they came, without a copy when they fill their own array (they do).
        var json = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(completion.Json, out var segment)
                   && segment is { Offset: 0, Array: { } array } && segment.Count == array.Length
            ? array
            : completion.Json.ToArray();
        return File(json, "application/json");
    }

    /// <summary>The body as the client sent it (read here, not bound: every field must pass through as it came): a JSON
    /// object, else 400 (never the reader's own message).</summary>
    private async Task<JsonObject> ReadBodyAsync(CancellationToken cancellationToken)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(Request.Body, documentOptions: DocumentOptions, cancellationToken: cancellationToken);
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

    private async Task<IActionResult> ProblemAsync(Errors.ApiProblem problem)
    {
        await problem.WriteAsync(HttpContext);
        return new EmptyResult();
    }

    private static ValidationException Invalid(string field, string message) => new([new ValidationFailure(field, message)]);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DatedVersion();
}
