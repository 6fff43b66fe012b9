using MediatR;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Wrapper.Api.Contracts;
using Wrapper.Api.OpenApi;
using Wrapper.Api.Streaming;

namespace Wrapper.Api.Controllers;

/// <summary>Any configured agent by name: the extension point (one agent class plus its <c>Agents:&lt;name&gt;:AgentId</c>).</summary>
[ApiController]
[Route("agents")]
[Tags("Agents")]
public sealed class AgentsController : ControllerBase
{
    private readonly IMediator _mediator;

    public AgentsController(IMediator mediator) => _mediator = mediator;

    /// <summary>Ask the named agent, for example <c>plain</c> or <c>bing-grounding</c>.</summary>
    /// <remarks>Same question fields, answer and streaming (<c>stream=true</c>: <c>delta</c> events, then <c>done</c> with the
    /// whole answer, or <c>error</c>) as <c>POST /bing-grounding</c>. An unknown name is a 400 listing the known ones. An agent
    /// on the classic protocol continues a <c>thread_id</c>, one on the new protocol a <c>conversation_id</c>; the other
    /// kind, or both, is a 400 naming the field.</remarks>
    /// <param name="name" example="bing-grounding">The agent's name.</param>
    /// <param name="question">The question's fields in the query string (each overrides the body's).</param>
    /// <param name="body">Optional JSON body with the same fields.</param>
    /// <param name="cancellationToken">Aborted when the caller disconnects; the agent's run is then cancelled.</param>
    /// <response code="200">The answer with its numbered citations (JSON), or its stream (<c>text/event-stream</c>) when <c>stream</c> is true.</response>
    /// <response code="400">The agent name or question is invalid (<c>validation_failed</c>, with <c>errors</c> by field), including an id of the wrong kind for the agent's protocol (<c>conversation_id</c> to a classic agent, <c>thread_id</c> to a new one) or both ids at once; or <c>thread_id</c> names a thread still busy with an earlier question (<c>upstream_rejected_request</c>).</response>
    /// <response code="404"><c>thread_id</c> or <c>conversation_id</c> names no conversation of this client: it never existed, was deleted, or belongs to another client (<c>thread_not_found</c>, <c>conversation_not_found</c>).</response>
    /// <response code="429">The Agent Service or its model is throttling us (<c>rate_limited</c>); see <c>Retry-After</c>.</response>
    /// <response code="502">Our Agent Service configuration is wrong or the agent's run failed.</response>
    /// <response code="503">The Agent Service, or this agent, is unavailable or not configured (<c>upstream_unavailable</c>).</response>
    /// <response code="504">The agent did not answer in time; its run was cancelled (<c>upstream_timeout</c>).</response>
    [HttpPost("{name}")]
    [Consumes("application/json")]
    [ProducesResponseType<AgentAnswerResponse>(StatusCodes.Status200OK, "application/json", AgentEventStream.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ApiErrors]
    [EventStreamResponse(typeof(AgentAnswerResponse), "`stream=true` (query) or `\"stream\": true` (body)")]
    public async Task<IActionResult> Post(
        string name,
        [FromQuery] AgentQuestionQuery question,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] AgentQuestionRequest? body,
        CancellationToken cancellationToken)
    {
        var asked = question.Over(body);
        if (asked.Stream == true)
        {
            return new AgentEventStream(await _mediator.Send(asked.ToAgentStream(name), cancellationToken));
        }

        return Ok(AgentAnswerResponse.From(await _mediator.Send(asked.ToAgentQuestion(name), cancellationToken)));
    }
}
