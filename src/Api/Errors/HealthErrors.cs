using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Net.Http.Headers;
using Wrapper.Api.Contracts;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Errors;

/// <summary>
/// <c>GET /health</c> keeps the original service's error shape (<see cref="HealthErrorResponse"/>) instead of
/// ProblemDetails, because monitors depend on it. This filter is that mapping; everywhere else the
/// <see cref="ApiExceptionHandler"/> answers.
/// </summary>
/// <remarks>
/// | upstream failure | status | error |
/// |---|---|---|
/// | Authentication | 401 | authentication_failed |
/// | Throttled | 429 (+Retry-After) | rate_limited |
/// | Unavailable | 503 (+Retry-After when known) | service_unavailable |
/// | Timeout | 503 | timeout |
/// | NotFound | 500 | deployment_not_found |
/// | BadRequest, ContentFiltered, BadResponse | 500 | upstream_error |
/// | any other exception | 500 | internal_error |
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class HealthErrorsAttribute : Attribute, IExceptionFilter
{
    public void OnException(ExceptionContext context)
    {
        if (context.Exception is OperationCanceledException && context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return; // the caller left; the exception handler records it without a body
        }

        var (status, body, retryAfter) = Map(context.Exception);
        if (status == StatusCodes.Status500InternalServerError && context.Exception is not UpstreamException)
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILogger<HealthErrorsAttribute>>();
            logger.LogError(context.Exception, "Health check failed unexpectedly");
        }

        if (retryAfter is not null)
        {
            context.HttpContext.Response.Headers[HeaderNames.RetryAfter] = retryAfter;
        }

        context.Result = new ObjectResult(body) { StatusCode = status, ContentTypes = { "application/json" } };
        context.ExceptionHandled = true;
    }

    public static (int Status, HealthErrorResponse Body, string? RetryAfter) Map(Exception exception)
    {
        if (exception is not UpstreamException upstream)
        {
            return (StatusCodes.Status500InternalServerError, new HealthErrorResponse
            {
                Error = "internal_error",
                Message = "The health check failed unexpectedly.",
                Details = "An internal error occurred while checking Azure OpenAI; see the service logs.",
            }, null);
        }

        // The adapter's message is safe by contract (no keys, tokens or upstream bodies) and names the upstream status.
        var details = upstream.Message;
        // Retry-After only for Throttled or Unavailable: the rule of every error answer (ApiProblem).
        var retryAfter = ApiProblem.UpstreamRetryAfterSeconds(upstream)?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (status, body) = upstream.Failure switch
        {
            UpstreamFailure.Authentication => (StatusCodes.Status401Unauthorized,
                Body("authentication_failed", "Azure OpenAI rejected the configured credentials.", details)),
            UpstreamFailure.Throttled => (StatusCodes.Status429TooManyRequests,
                Body("rate_limited", "Azure OpenAI is throttling requests.", details)),
            UpstreamFailure.Unavailable => (StatusCodes.Status503ServiceUnavailable,
                Body("service_unavailable", "Azure OpenAI is unavailable.", details)),
            UpstreamFailure.Timeout => (StatusCodes.Status503ServiceUnavailable,
                Body("timeout", "Azure OpenAI did not answer in time.", details)),
            UpstreamFailure.NotFound => (StatusCodes.Status500InternalServerError,
                Body("deployment_not_found", "The configured Azure OpenAI deployment does not exist.", details)),
            _ => (StatusCodes.Status500InternalServerError,
                Body("upstream_error", "Azure OpenAI answered with an unexpected error.", details)),
        };
        return (status, body, retryAfter);
    }

    private static HealthErrorResponse Body(string error, string message, string details) =>
        new() { Error = error, Message = message, Details = details };
}
