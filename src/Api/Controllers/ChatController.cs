using MediatR;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.OpenApi;
using Wrapper.Api.Streaming;

namespace Wrapper.Api.Controllers;

/// <summary>Multi-turn conversation.</summary>
[ApiController]
[Route("chat")]
[Tags("Chat")]
public sealed class ChatController : ControllerBase
{
    private readonly IMediator _mediator;

    public ChatController(IMediator mediator) => _mediator = mediator;

    /// <summary>Continue a conversation.</summary>
    /// <remarks>Send the whole conversation, oldest message first. When it has no <c>system</c> message, the configured system prompt is put first.
    /// With <c>"stream": true</c> the answer comes as server-sent events: <c>event: delta</c> with <c>{"content":"..."}</c> for each piece of text,
    /// then <c>event: done</c> with <c>{"model","finish_reason","usage"}</c>; a failure of the model service after the first event ends the stream with
    /// <c>event: error</c> and a ProblemDetails-like body (<c>status</c>, <c>title</c>, <c>detail</c>, <c>code</c>). Failures before the first event are
    /// ordinary ProblemDetails answers.</remarks>
    /// <param name="request">The conversation.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects.</param>
    /// <response code="200">The assistant's next message (JSON), or its stream (<c>text/event-stream</c>) when <c>stream</c> is true.</response>
    /// <response code="400">The body is missing, malformed or invalid (<c>validation_failed</c>, with <c>errors</c> by field), or the model service rejected it (<c>upstream_rejected_request</c>, <c>content_filter</c>).</response>
    /// <response code="413">The body is larger than the configured limit (<c>request_too_large</c>).</response>
    /// <response code="415">The body is not <c>application/json</c>.</response>
    /// <response code="403">This client's token quota for the period is used up (<c>client_quota_exceeded</c>, with <c>resetsAt</c>); see <c>Retry-After</c>.</response>
    /// <response code="429">This client is over its requests or tokens per minute (<c>client_rate_limited</c>, <c>client_token_limit</c>), or the model service is throttling us (<c>rate_limited</c>); see <c>Retry-After</c>.</response>
    /// <response code="500">Unexpected failure (<c>internal_error</c>).</response>
    /// <response code="502">Our model-service configuration is wrong (<c>upstream_authentication_failed</c>, <c>upstream_not_found</c>) or it answered with something unusable (<c>upstream_bad_response</c>).</response>
    /// <response code="503">The model service is unavailable (<c>upstream_unavailable</c>).</response>
    /// <response code="504">The model service did not answer in time (<c>upstream_timeout</c>).</response>
    [HttpPost]
    [Consumes("application/json")]
    [ProducesResponseType<CompletionResponse>(StatusCodes.Status200OK, "application/json", ChatEventStream.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ApiErrors]
    [EventStreamResponse(typeof(ChatStreamDoneEvent), "`\"stream\": true` in the body")]
    public async Task<IActionResult> Post([FromBody] ChatRequest request, CancellationToken cancellationToken)
    {
        if (request.Stream == true)
        {
            var updates = await _mediator.Send(request.ToStreamCommand(), cancellationToken);
            return new ChatEventStream(updates);
        }

        var completion = await _mediator.Send(request.ToCommand(), cancellationToken);
        return Ok(CompletionResponse.From(completion));
    }
}
