using MediatR;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Application.Completion;

namespace Wrapper.Api.Controllers;

/// <summary>One question, one answer.</summary>
[ApiController]
[Route("completion")]
[Tags("Completion")]
public sealed class CompletionController : ControllerBase
{
    private readonly IMediator _mediator;

    public CompletionController(IMediator mediator) => _mediator = mediator;

    /// <summary>Answer one question with the configured system prompt.</summary>
    /// <remarks>Without <c>query</c> (or with an empty one) the question is "how are you?", as in the original service.</remarks>
    /// <param name="request">The query string.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects.</param>
    /// <response code="200">The answer.</response>
    /// <response code="400">The query is invalid (<c>validation_failed</c>), or the model service rejected it (<c>upstream_rejected_request</c>, <c>content_filter</c>).</response>
    /// <response code="403">This client's token quota for the period is used up (<c>client_quota_exceeded</c>, with <c>resetsAt</c>); see <c>Retry-After</c>.</response>
    /// <response code="429">This client is over its requests or tokens per minute (<c>client_rate_limited</c>, <c>client_token_limit</c>), or the model service is throttling us (<c>rate_limited</c>); see <c>Retry-After</c>.</response>
    /// <response code="500">Unexpected failure (<c>internal_error</c>).</response>
    /// <response code="502">Our model-service configuration is wrong (<c>upstream_authentication_failed</c>, <c>upstream_not_found</c>) or it answered with something unusable (<c>upstream_bad_response</c>).</response>
    /// <response code="503">The model service is unavailable (<c>upstream_unavailable</c>).</response>
    /// <response code="504">The model service did not answer in time (<c>upstream_timeout</c>).</response>
    [HttpGet]
    [ProducesResponseType<CompletionResponse>(StatusCodes.Status200OK, "application/json")]
    [ApiErrors]
    public async Task<CompletionResponse> Get([FromQuery] CompletionQuery request, CancellationToken cancellationToken)
    {
        var completion = await _mediator.Send(new GetCompletion(request.Query), cancellationToken);
        return CompletionResponse.From(completion);
    }
}
