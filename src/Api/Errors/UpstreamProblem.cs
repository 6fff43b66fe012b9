using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Errors;

/// <summary>The one home of the table from an <see cref="UpstreamFailure"/> to our status, <c>code</c> and title, on every
/// endpoint except <c>/health</c> (which keeps the original shape, see <see cref="HealthErrorsAttribute"/>);
/// <see cref="ApiProblem.Upstream"/> builds the answer from it.</summary>
/// <param name="Status">Our HTTP status.</param>
/// <param name="Code">The <c>code</c> extension.</param>
/// <param name="Title">The ProblemDetails title.</param>
public sealed record UpstreamProblem(int Status, string Code, string Title)
{
    /// <summary>
    /// The mapping. Authentication and a missing deployment are 502, not 401/404: they mean <em>our</em>
    /// configuration is wrong, which the caller can neither cause nor fix.
    /// </summary>
    public static UpstreamProblem For(UpstreamFailure failure) => failure switch
    {
        UpstreamFailure.Authentication => new(StatusCodes.Status502BadGateway, ProblemCodes.UpstreamAuthenticationFailed,
            "The model service refused this service's credentials"),
        UpstreamFailure.Throttled => new(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
            "The model service is throttling requests"),
        UpstreamFailure.Unavailable => new(StatusCodes.Status503ServiceUnavailable, ProblemCodes.UpstreamUnavailable,
            "The model service is unavailable"),
        UpstreamFailure.Timeout => new(StatusCodes.Status504GatewayTimeout, ProblemCodes.UpstreamTimeout,
            "The model service did not answer in time"),
        UpstreamFailure.BadRequest => new(StatusCodes.Status400BadRequest, ProblemCodes.UpstreamRejectedRequest,
            "The model service rejected the request"),
        UpstreamFailure.ContentFiltered => new(StatusCodes.Status400BadRequest, ProblemCodes.ContentFilter,
            "The content was blocked by the content filter"),
        UpstreamFailure.NotFound => new(StatusCodes.Status502BadGateway, ProblemCodes.UpstreamNotFound,
            "The configured model deployment or agent does not exist"),
        UpstreamFailure.BadResponse => new(StatusCodes.Status502BadGateway, ProblemCodes.UpstreamBadResponse,
            "The model service answered with something unusable"),
        _ => new(StatusCodes.Status502BadGateway, ProblemCodes.UpstreamBadResponse, "The model service failed"),
    };
}
