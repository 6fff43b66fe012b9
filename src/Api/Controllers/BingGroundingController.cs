using MediatR;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Wrapper.Api.Contracts;
using Wrapper.Api.OpenApi;
using Wrapper.Api.Streaming;

namespace Wrapper.Api.Controllers;

/// <summary>Questions answered by the Bing-grounded agent of the Azure AI Foundry Agent Service.</summary>
[ApiController]
[Route("bing-grounding")]
[Tags("Agents")]
public sealed class BingGroundingController : ControllerBase
{
    private readonly IMediator _mediator;

    public BingGroundingController(IMediator mediator) => _mediator = mediator;

    /// <summary>Answer a question with current web sources (Bing grounding).</summary>
    /// <remarks>
    /// Give the question as <c>?query=</c> or as a JSON body <c>{"query": "..."}</c>. Each question runs on a new
    /// conversation (a classic thread, or a conversation of the new Agent Service protocol, as the agent is configured)
    /// that is deleted afterwards, unless <c>keep_thread</c> is true or a <c>thread_id</c> / <c>conversation_id</c>
    /// continues an earlier one; the answer then carries <c>thread_id</c> (classic agents) or <c>conversation_id</c> (new
    /// agents) for the next question. Sending the id of the other kind, or both, is a 400 naming the field.
    /// A thread or conversation belongs to the client that made it: only that client can continue or end it.
    /// With <c>stream=true</c> (query or body) the answer comes as server-sent events: <c>event: delta</c> with
    /// <c>{"content":"..."}</c> for each piece of text, then <c>event: done</c> with the whole answer
    /// <c>{"content","citations","thread_id"?,"conversation_id"?}</c>; a failure after the first event ends the stream with
    /// <c>event: error</c> and a ProblemDetails-like body (<c>type</c>, <c>status</c>, <c>title</c>, <c>detail</c>,
    /// <c>code</c>). Failures before the first event are ordinary ProblemDetails answers.
    /// Without <c>AZURE_AI_PROJECT_ENDPOINT</c> the built-in simulator answers.
    /// </remarks>
    /// <param name="question">The question's fields in the query string (each overrides the body's).</param>
    /// <param name="body">Optional JSON body with the same fields.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects; the agent's run is then cancelled.</param>
    /// <response code="200">The answer with its numbered citations (JSON), or its stream (<c>text/event-stream</c>) when <c>stream</c> is true.</response>
    /// <response code="400">The question is invalid (<c>validation_failed</c>, with <c>errors</c> by field), including an id of the wrong kind for the agent's protocol (<c>conversation_id</c> to a classic agent, <c>thread_id</c> to a new one) or both ids at once; or <c>thread_id</c> names a thread still busy with an earlier question (<c>upstream_rejected_request</c>).</response>
    /// <response code="404"><c>thread_id</c> or <c>conversation_id</c> names no conversation of this client: it never existed, was deleted, or belongs to another client (<c>thread_not_found</c>, <c>conversation_not_found</c>).</response>
    /// <response code="429">The Agent Service or its model is throttling us (<c>rate_limited</c>); see <c>Retry-After</c>.</response>
    /// <response code="502">Our Agent Service configuration is wrong (<c>upstream_authentication_failed</c>, <c>upstream_not_found</c>) or the agent's run failed (<c>upstream_bad_response</c>).</response>
    /// <response code="503">The Agent Service is unavailable or not configured (<c>upstream_unavailable</c>).</response>
    /// <response code="504">The agent did not answer in time; its run was cancelled (<c>upstream_timeout</c>).</response>
    [HttpPost]
    [Consumes("application/json")]
    [ProducesResponseType<AgentAnswerResponse>(StatusCodes.Status200OK, "application/json", AgentEventStream.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ApiErrors]
    [EventStreamResponse(typeof(AgentAnswerResponse), "`stream=true` (query) or `\"stream\": true` (body)")]
    public async Task<IActionResult> Post(
        [FromQuery] AgentQuestionQuery question,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] AgentQuestionRequest? body,
        CancellationToken cancellationToken)
    {
        var asked = question.Over(body);
        if (asked.Stream == true)
        {
            return new AgentEventStream(await _mediator.Send(asked.ToGroundedStream(), cancellationToken));
        }

        return Ok(AgentAnswerResponse.From(await _mediator.Send(asked.ToGroundedQuestion(), cancellationToken)));
    }
}
