using MediatR;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Contracts;
using Wrapper.Api.Errors;
using Wrapper.Api.Security;
using Wrapper.Api.Simulation;
using Wrapper.Application.Agents;
using Wrapper.Application.Health;

namespace Wrapper.Api.Controllers;

/// <summary>Liveness plus upstream connectivity, in the original service's shapes.</summary>
[ApiController]
[Route("health")]
[Tags("Health")]
[HealthErrors]
[Authorize(Policy = SecurityServiceCollectionExtensions.HealthPolicy)]
public sealed class HealthController : ControllerBase
{
    private readonly IMediator _mediator;
    private readonly SimulatedSides _simulated;

    public HealthController(IMediator mediator, SimulatedSides simulated)
    {
        _mediator = mediator;
        _simulated = simulated;
    }

    /// <summary>Check that Azure OpenAI answers with our credentials.</summary>
    /// <remarks>Spends no tokens: reads the deployment's details (one request per upstream whose circuit is closed), and the result is cached for <c>Health:CacheSeconds</c> (default 5 s) and shared by concurrent callers. Errors use the original shape <c>{"status":"error","error","message","details"}</c>, not ProblemDetails.</remarks>
    /// <param name="cancellationToken">Aborted when the caller disconnects.</param>
    /// <response code="200">Azure OpenAI answered (<c>connected</c>), or the simulator did (<c>simulated</c>).</response>
    /// <response code="401">Azure OpenAI refused the configured key or identity (<c>authentication_failed</c>).</response>
    /// <response code="429">Azure OpenAI is throttling us (<c>rate_limited</c>); see <c>Retry-After</c>.</response>
    /// <response code="500">The deployment does not exist (<c>deployment_not_found</c>), Azure OpenAI answered with another error (<c>upstream_error</c>), or the check itself failed (<c>internal_error</c>).</response>
    /// <response code="503">Azure OpenAI is unreachable or failing (<c>service_unavailable</c>) or did not answer in time (<c>timeout</c>).</response>
    [HttpGet]
    [ProducesResponseType<HealthResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<HealthErrorResponse>(StatusCodes.Status401Unauthorized, "application/json")]
    [ProducesResponseType<HealthErrorResponse>(StatusCodes.Status429TooManyRequests, "application/json")]
    [ProducesResponseType<HealthErrorResponse>(StatusCodes.Status500InternalServerError, "application/json")]
    [ProducesResponseType<HealthErrorResponse>(StatusCodes.Status503ServiceUnavailable, "application/json")]
    public async Task<HealthResponse> Get(CancellationToken cancellationToken)
    {
        await _mediator.Send(new CheckHealth(), cancellationToken);
        // Informational: the Agent Service's state never changes the status code (reads the agent, no thread, no tokens).
        var agents = await _mediator.Send(new CheckAgentService(), cancellationToken);
        return new HealthResponse
        {
            AzureOpenAi = _simulated.OpenAIStatus,
            AgentService = _simulated.AgentServiceStatusOf(agents),
        };
    }
}
