using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Wrapper.Application.Common.Exceptions;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using ValidationException = Wrapper.Application.Common.Exceptions.ValidationException;

namespace Wrapper.Api.Errors;

/// <summary>
/// The one place where exceptions become RFC 9457 ProblemDetails: validation → 400 with <c>errors</c>,
/// <see cref="UpstreamException"/> → the status of <see cref="UpstreamProblem.For"/> (+ <c>Retry-After</c>),
/// <see cref="ThreadNotFoundException"/> → 404 <c>thread_not_found</c>,
/// <see cref="ClientQuotaExceededException"/> → 429 or 403 (+ <c>Retry-After</c>, <c>X-Wrapper-Refusal: client</c>),
/// a malformed or oversized HTTP request → its 4xx, a request the client aborted → no body at all, and
/// anything else → 500 without exception text. Endpoints added later need no change here.
/// </summary>
public sealed class ApiExceptionHandler : IExceptionHandler
{
    private readonly IProblemDetailsService _problemDetails;
    private readonly ILogger<ApiExceptionHandler> _logger;

    public ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger)
    {
        _problemDetails = problemDetails;
        _logger = logger;
    }

    /// <summary>Over a per-minute limit: 429 <c>client_rate_limited</c> or <c>client_token_limit</c> with Retry-After;
    /// the token quota used up: 403 <c>client_quota_exceeded</c> with Retry-After and <c>resetsAt</c> (as APIM's
    /// <c>llm-token-limit</c> answers). Both marked as the client's doing.</summary>
    private static ProblemDetails QuotaProblem(HttpContext httpContext, ClientQuotaExceededException quota)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(quota.RetryAfter.TotalSeconds));
        var exhausted = quota.Limit == Wrapper.Application.Quotas.QuotaLimit.TokenQuota;
        var status = exhausted ? StatusCodes.Status403Forbidden : StatusCodes.Status429TooManyRequests;
        var problem = new ProblemDetails
        {
            Status = status,
            Type = exhausted ? ProblemTypes.Forbidden : ProblemTypes.TooManyRequests,
            Title = exhausted ? "Token quota exceeded" : "Too many requests",
            Detail = quota.Message,
        };
        problem.Extensions["code"] = Wrapper.Infrastructure.Telemetry.QuotaCodes.For(quota.Limit);
        problem.Extensions["retryAfterSeconds"] = seconds;
        if (quota.ResetsAt is { } resetsAt)
        {
            problem.Extensions["resetsAt"] = resetsAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        }

        httpContext.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return problem;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // Nobody is listening any more: record it (logs show 499) and write nothing.
            httpContext.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return true;
        }

        ProblemDetails problem;
        switch (exception)
        {
            case ValidationException validation:
                problem = ValidationProblems.Create(validation.Errors);
                break;

            case UpstreamException upstream:
                var mapping = UpstreamProblem.For(upstream.Failure);
                problem = new ProblemDetails
                {
                    Status = mapping.Status,
                    Type = ProblemTypes.ForStatus(mapping.Status),
                    Title = mapping.Title,
                    Detail = upstream.Message,
                };
                problem.Extensions["code"] = mapping.Code;
                if (upstream.Failure is UpstreamFailure.Throttled or UpstreamFailure.Unavailable
                    && UpstreamProblem.RetryAfterSeconds(upstream.RetryAfter) is { } seconds)
                {
                    problem.Extensions["retryAfterSeconds"] = int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture);
                    httpContext.Response.OnStarting(() =>
                    {
                        httpContext.Response.Headers[HeaderNames.RetryAfter] = seconds;
                        return Task.CompletedTask;
                    });
                }

                break;

            case ClientQuotaExceededException quota:
                problem = QuotaProblem(httpContext, quota);
                httpContext.Response.Headers[WrapperHeaders.Refusal] = WrapperHeaders.ClientRefusal;
                break;

            case ThreadNotFoundException threadNotFound:
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status404NotFound,
                    Type = ProblemTypes.NotFound,
                    Title = "No such conversation thread",
                    Detail = threadNotFound.Message,
                };
                problem.Extensions["code"] = ProblemCodes.ThreadNotFound;
                break;

            case BadHttpRequestException badRequest:
                var status = badRequest.StatusCode is >= 400 and < 500 ? badRequest.StatusCode : StatusCodes.Status400BadRequest;
                problem = new ProblemDetails
                {
                    Status = status,
                    Type = ProblemTypes.ForStatus(status),
                    Title = status == StatusCodes.Status413PayloadTooLarge ? "The request body is too large" : "The request could not be read",
                    Detail = status == StatusCodes.Status413PayloadTooLarge
                        ? "The request body exceeds the size this service accepts."
                        : "The request was malformed or incomplete.",
                };
                problem.Extensions["code"] = status == StatusCodes.Status413PayloadTooLarge ? ProblemCodes.RequestTooLarge : ProblemCodes.BadHttpRequest;
                httpContext.Response.Headers[WrapperHeaders.Refusal] = WrapperHeaders.ClientRefusal;
                break;

            default:
                _logger.LogError(exception, "Unhandled exception while serving {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Type = ProblemTypes.InternalServerError,
                    Title = "An unexpected error occurred",
                    Detail = "The service failed to process the request. Quote the correlation id when reporting it.",
                };
                problem.Extensions["code"] = ProblemCodes.InternalError;
                break;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;

        return await _problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }
}
