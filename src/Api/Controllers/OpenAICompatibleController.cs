using MediatR;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.OpenAICompatible;
using Wrapper.Application.OpenAICompatible;

namespace Wrapper.Api.Controllers;

/// <summary>The OpenAI-compatible face: point the OpenAI or Azure OpenAI SDKs at this service and they gain its keys,
/// quotas, upstream pool and failover (docs/openai-compatible.md). Errors come in OpenAI's shape. These are its model
/// routes; its two chat-completions routes are endpoints of their own (<see cref="OpenAICompatibleEndpoints"/>).</summary>
[Route("openai")]
[Tags("OpenAI-compatible")]
[ApiExplorerSettings(GroupName = OpenApi.OpenApiSetup.OpenAIDocumentName)]
public sealed class OpenAICompatibleController : ControllerBase
{
    private static readonly long ModelsCreated = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private readonly IMediator _mediator;

    public OpenAICompatibleController(IMediator mediator) => _mediator = mediator;

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
}
